import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, Wallet, id } from "ethers";

import { type BlockRange, Follower } from "@cordon/keeper/follower/follower.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { type Finding, Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy } from "../support/deploy.js";
import type { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import type { HardhatNode } from "@cordon/testkit/hardhat-node.js";

const TRANSFER = id("Transfer(address,address,uint256)");

describe("Follower against a real node", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let node: HardhatNode;
  let proxies: FaultProxy[];
  let token: Contract;
  let signer: Wallet;
  let dir: string;
  let startBlock: number;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    ({ node, proxies } = chain);
    signer = await chain.wallet(TEST_KEYS.deployer);
    token = await deploy(signer, "MockERC20", "contracts/mocks", ["Token", "TKN", 18]);
    startBlock = Number(await node.rpc<string>("eth_blockNumber"));
  });

  after(async function () {
    await chain?.stop();
  });

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "cordon-follower-"));
    for (const p of proxies) {
      p.fault = { kind: "none" };
      p.maxLogRange = undefined;
    }
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const pool = () => new RpcPool({ endpoints: proxies.map((p) => ({ name: p.name, url: p.url })) });

  async function mint(times: number, amount = 1n): Promise<void> {
    for (let i = 0; i < times; i++) {
      // Ask the node each time: the chain may have been reverted under us.
      const nonce = Number(await node.rpc<string>("eth_getTransactionCount", [signer.address, "latest"]));
      await (await token.getFunction("mint")(Wallet.createRandom().address, amount, { nonce })).wait();
    }
  }

  /** A follower that records every block it is given and makes one finding per Transfer. */
  function follower(store: Store, seen: number[], options: { maxRange?: number; maxLogsPerRange?: number } = {}) {
    return new Follower({
      pool: pool(),
      store,
      addresses: [String(token.target)],
      startBlock,
      maxRange: options.maxRange,
      maxLogsPerRange: options.maxLogsPerRange,
      onRange: (range: BlockRange): Finding[] => {
        for (let b = range.from; b <= range.to; b++) seen.push(b);
        return range.logs
          .filter((l) => l.topics[0] === TRANSFER)
          .map((l) => ({
            blockNumber: l.blockNumber,
            blockHash: l.blockHash,
            detector: "transfer",
            severity: "info",
            summary: `transfer in ${l.transactionHash}`,
            data: { tx: l.transactionHash, logIndex: l.logIndex },
          }));
      },
    });
  }

  function expectEachOnce(seen: number[], from: number, to: number) {
    const expected = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect([...seen].sort((x, y) => x - y)).to.deep.equal(expected);
  }

  it("catches up in ranges that shrink to what the provider accepts, every block exactly once", async function () {
    await mint(12);
    await node.rpc("hardhat_mine", ["0x20"]);
    for (const p of proxies) p.maxLogRange = 5;
    const store = new Store(path.join(dir, "w.db"), 31337);
    const seen: number[] = [];
    const f = follower(store, seen, { maxRange: 64 });
    const step = await f.step();
    const head = Number(await node.rpc<string>("eth_blockNumber"));
    expect(step.head).to.equal(head);
    expectEachOnce(seen, startBlock, head);
    expect(f.currentRange).to.be.at.most(5); // settled under the provider's limit instead of probing above it
    // A refused range is tried on each of the 3 endpoints before it shrinks; a handful of sizes are refused while
    // it settles, and none once settled.
    const refused = proxies.reduce((n, p) => n + p.refusedLogRanges, 0);
    expect(refused).to.be.at.most(3 * 10);
    const before = refused;
    await mint(6);
    await f.step();
    expect(proxies.reduce((n, p) => n + p.refusedLogRanges, 0)).to.equal(before);
    expect(store.findingsFrom(0)).to.have.length(18); // 12, then 6 more
    store.close();
  });

  it("sizes ranges to hold at most maxLogsPerRange logs at the density it finds, every block exactly once", async function () {
    const store = new Store(path.join(dir, "w.db"), 31337);
    const seen: number[] = [];
    const f = follower(store, seen, { maxRange: 64, maxLogsPerRange: 2 });
    await f.step();
    await mint(8); // 8 blocks in a row with one Transfer each
    await f.step();
    expectEachOnce(seen, startBlock, Number(await node.rpc<string>("eth_blockNumber")));
    // The last blocks hold one Transfer each: two of them hold the budget (without it the range would be 64).
    expect(f.currentRange).to.equal(2);
    expect(store.findingsFrom(0).length).to.be.at.least(8);
    store.close();
  });

  it("resumes from its cursor after a crash without processing a block twice", async function () {
    const file = path.join(dir, "w.db");
    const seen: number[] = [];
    const first = new Store(file, 31337);
    await follower(first, seen).step();
    first.close(); // the watcher dies here
    await mint(3);
    const second = new Store(file, 31337);
    const result = await follower(second, seen).step();
    expect(result.processed).to.equal(3);
    expectEachOnce(seen, startBlock, Number(await node.rpc<string>("eth_blockNumber")));
    second.close();
  });

  it("detects a reorg by hash, retracts the findings of the old branch and processes the new one", async function () {
    const store = new Store(path.join(dir, "w.db"), 31337);
    const seen: number[] = [];
    const f = follower(store, seen);
    await f.step();
    const fork = Number(await node.rpc<string>("eth_blockNumber"));
    const snapshot = await node.rpc<string>("evm_snapshot");
    await mint(3, 7n); // branch A: three blocks with transfers of 7
    await f.step();
    expect(store.findingsFrom(fork + 1)).to.have.length(3);

    await node.rpc("evm_revert", [snapshot]);
    await mint(4, 9n); // branch B: four different blocks at the same heights and beyond
    const step = await f.step();
    expect(step.reorg).to.deep.equal({ ancestor: fork, retracted: 3 });
    const live = store.findingsFrom(fork + 1);
    expect(live).to.have.length(4);
    const head = Number(await node.rpc<string>("eth_blockNumber"));
    // The blocks of branch A were processed and then retracted; every block of the final chain exactly once after.
    const finalChain = seen.filter((b, i) => b <= fork || i >= seen.length - (head - fork));
    expectEachOnce(finalChain, startBlock, head);
    expect((await node.rpc<{ hash: string }>("eth_getBlockByNumber", [`0x${head.toString(16)}`, false])).hash).to.equal(
      store.cursor()?.hash,
    );
    store.close();
  });

  it("finds a reorg onto a shorter branch at once, without waiting for it to grow past the cursor", async function () {
    const store = new Store(path.join(dir, "w.db"), 31337);
    const seen: number[] = [];
    const f = follower(store, seen);
    await f.step();
    const fork = Number(await node.rpc<string>("eth_blockNumber"));
    const snapshot = await node.rpc<string>("evm_snapshot");
    await mint(3, 7n); // branch A: three blocks
    await f.step();
    expect(store.cursor()?.number).to.equal(fork + 3);

    await node.rpc("evm_revert", [snapshot]);
    await mint(1, 9n); // branch B: one block, so the head is below the cursor
    const step = await f.step();
    expect(step.reorg, "the reorg is found on the first step").to.deep.equal({ ancestor: fork, retracted: 3 });
    expect(store.cursor()?.number).to.equal(fork + 1);
    const live = store.findingsFrom(fork + 1);
    expect(live.map((l) => l.blockNumber)).to.deep.equal([fork + 1]);
    store.close();
  });

  it("keeps following with the primary endpoint dead and a stale one", async function () {
    const store = new Store(path.join(dir, "w.db"), 31337);
    const seen: number[] = [];
    const f = follower(store, seen);
    await f.step();
    proxies[0]!.fault = { kind: "down" };
    proxies[1]!.fault = { kind: "stale", head: Number(await node.rpc<string>("eth_blockNumber")) };
    await mint(2);
    // With a dead and a stale endpoint no quorum of 2 agrees on the new head: the follower waits rather than guess.
    const waiting = await f.step();
    expect(waiting.processed).to.equal(0);
    proxies[1]!.fault = { kind: "none" };
    const moved = await f.step();
    expect(moved.processed).to.equal(2);
    expectEachOnce(seen, startBlock, Number(await node.rpc<string>("eth_blockNumber")));
    store.close();
  });
});
