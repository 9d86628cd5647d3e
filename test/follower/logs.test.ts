/**
 * Log completeness against a real node: endpoints behind fault proxies omit logs (all of them, or those of the newest
 * blocks), alone or two together, and the follower still gets every log, names the endpoints that omitted, and never
 * moves its cursor past logs it could not confirm.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, Wallet, id } from "ethers";

import { type BlockRange, Follower } from "@cordon/keeper/follower/follower.js";
import { bloomMayHold, headerHash, receiptsRoot } from "@cordon/keeper/follower/logs.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import type { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import { deploy } from "../support/deploy.js";

const TRANSFER = id("Transfer(address,address,uint256)");

describe("Follower log completeness against a real node", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let proxies: FaultProxy[];
  let token: Contract;
  let signer: Wallet;
  let dir: string;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    proxies = chain.proxies;
    signer = await chain.wallet(TEST_KEYS.deployer);
    token = await deploy(signer, "MockERC20", "contracts/mocks", ["Token", "TKN", 18]);
  });

  after(async function () {
    await chain?.stop();
  });

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "cordon-logs-"));
    for (const p of proxies) p.fault = { kind: "none" };
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  async function mint(times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const nonce = Number(await chain.node.rpc<string>("eth_getTransactionCount", [signer.address, "latest"]));
      await (await token.getFunction("mint")(Wallet.createRandom().address, 1n, { nonce })).wait();
    }
  }

  /** A follower from the current head, with the transfers it was given, and its pool and event log. */
  async function start(bloomDepth?: number) {
    const pool = new RpcPool({ endpoints: proxies.map((p) => ({ name: p.name, url: p.url, timeoutMs: 1000 })) });
    const store = new Store(path.join(dir, "w.db"), 31337);
    const transfers: string[] = [];
    const events: { event: string; fields: Record<string, unknown> }[] = [];
    const follower = new Follower({
      pool,
      store,
      addresses: [String(token.target)],
      startBlock: Number(await chain.node.rpc<string>("eth_blockNumber")) + 1,
      bloomDepth,
      log: (event, fields) => events.push({ event, fields }),
      onRange: (range: BlockRange) => {
        for (const l of range.logs) if (l.topics[0] === TRANSFER) transfers.push(`${l.transactionHash}:${l.logIndex}`);
        return [];
      },
    });
    return { pool, store, follower, transfers, events };
  }

  async function transfersOnChain(from: number): Promise<string[]> {
    const logs = await chain.node.rpc<{ transactionHash: string; logIndex: string }[]>("eth_getLogs", [
      { address: String(token.target), fromBlock: `0x${from.toString(16)}`, toBlock: "latest", topics: [TRANSFER] },
    ]);
    return logs.map((l) => `${l.transactionHash}:${Number(l.logIndex)}`);
  }

  it("rebuilds a header's hash and a block's receipts root from their JSON, and reads a bloom", async function () {
    await mint(1);
    const block = await chain.node.rpc<Record<string, unknown> & { hash: string; transactions: string[] }>(
      "eth_getBlockByNumber",
      ["latest", false],
    );
    expect(headerHash(block)).to.equal(block.hash);
    expect(headerHash({ ...block, logsBloom: `0x${"00".repeat(256)}` })).to.not.equal(block.hash);
    const receipts = await Promise.all(
      block.transactions.map((tx) => chain.node.rpc<Record<string, unknown>>("eth_getTransactionReceipt", [tx])),
    );
    expect(await receiptsRoot(receipts)).to.equal(block.receiptsRoot);
    const bloom = Buffer.from(String(block.logsBloom).slice(2), "hex");
    expect(bloomMayHold(bloom, String(token.target))).to.equal(true);
    expect(bloomMayHold(bloom, TRANSFER)).to.equal(true);
    expect(bloomMayHold(bloom, Wallet.createRandom().address)).to.equal(false);
  });

  it("gets every log when the endpoint it asks first omits them all, and names that endpoint", async function () {
    const { pool, store, follower, transfers, events } = await start();
    const from = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await mint(4);
    // a omits every log, c is down: the two answers differ and the blocks in dispute are proven by their receipts.
    proxies[0]!.fault = { kind: "omit-logs" };
    proxies[2]!.fault = { kind: "down" };
    await follower.step();
    expect(transfers).to.deep.equal(await transfersOnChain(from));
    expect(transfers).to.have.length(4);
    expect(pool.isLiar("a"), "a is named").to.equal(true);
    const a = pool.health().find((h) => h.name === "a")!;
    expect(a.status).to.equal("diverging");
    expect(a.reason).to.match(/omitted 1 of the 1 watched logs of block \d+ from eth_getLogs/);
    expect(events.some((e) => e.event === "logs-omitted" && e.fields.endpoint === "a")).to.equal(true);
    expect(pool.isLiar("b")).to.equal(false);
    store.close();
  });

  it("gets every log when two endpoints omit those of the newest blocks together, proven against the headers", async function () {
    const { pool, store, follower, transfers } = await start();
    const from = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await mint(3);
    // a and b agree (a quorum of two), omitting the logs of the node's two newest blocks; c is honest.
    proxies[0]!.fault = { kind: "omit-logs", latest: 2 };
    proxies[1]!.fault = { kind: "omit-logs", latest: 2 };
    await follower.step();
    expect(transfers).to.deep.equal(await transfersOnChain(from));
    expect(transfers).to.have.length(3);
    const named = ["a", "b", "c"].filter((n) => pool.isLiar(n));
    expect(named.length, "whichever omitter was asked is named").to.be.at.least(1);
    expect(named).to.not.include("c");
    store.close();
  });

  it("gets every log when the only endpoints that answer agree on omitting them: the headers' blooms show it", async function () {
    const { pool, store, follower, transfers, events } = await start();
    const from = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await mint(2);
    // a and b agree, and nobody disputes them (c is down): only the blooms of the headers say logs are missing.
    proxies[0]!.fault = { kind: "omit-logs" };
    proxies[1]!.fault = { kind: "omit-logs" };
    proxies[2]!.fault = { kind: "down" };
    await follower.step();
    expect(transfers).to.deep.equal(await transfersOnChain(from));
    expect(transfers).to.have.length(2);
    expect(
      events.some((e) => e.event === "logs-disputed"),
      "no answers differed",
    ).to.equal(false);
    expect(pool.isLiar("a") && pool.isLiar("b"), "both omitters named").to.equal(true);
    store.close();
  });

  it("leaves blocks below the bloom window to the quorum of answers", async function () {
    const { store, follower, transfers } = await start(1);
    const from = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await mint(2);
    await chain.node.rpc("hardhat_mine", ["0x3"]);
    // Outside the one-block window, two agreeing omitters are the quorum: what the bloom window is for.
    proxies[0]!.fault = { kind: "omit-logs" };
    proxies[1]!.fault = { kind: "omit-logs" };
    proxies[2]!.fault = { kind: "down" };
    await follower.step();
    expect(transfers).to.have.length(0);
    expect((await transfersOnChain(from)).length).to.equal(2);
    store.close();
  });

  it("never moves the cursor past logs that neither a quorum nor a proof confirms", async function () {
    const { store, follower, transfers } = await start();
    const from = Number(await chain.node.rpc<string>("eth_blockNumber")) + 1;
    await mint(2);
    // a omits, c is down, and neither a's nor b's receipts rebuild the receipts root: nothing settles the dispute.
    const lyingReceipts = (omit: boolean) => ({
      kind: "rewrite" as const,
      rewrite: (method: string, _params: unknown[], result: unknown) =>
        method === "eth_getLogs" && omit
          ? []
          : method === "eth_getTransactionReceipt" && result !== null
            ? { ...(result as object), cumulativeGasUsed: "0x1" }
            : result,
    });
    proxies[0]!.fault = lyingReceipts(true);
    proxies[1]!.fault = lyingReceipts(false);
    proxies[2]!.fault = { kind: "down" };
    const cursorBefore = store.cursor()?.number;
    let error: Error | undefined;
    try {
      await follower.step();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/the logs of blocks \d+\.\.\d+ are not confirmed/);
    expect(store.cursor()?.number ?? -1, "the cursor stays before the range").to.be.lessThan(from);
    expect(cursorBefore ?? -1).to.be.lessThan(from);
    expect(transfers).to.have.length(0);
    // Once an honest endpoint is back, the range is confirmed and every log delivered.
    proxies[1]!.fault = { kind: "none" };
    proxies[2]!.fault = { kind: "none" };
    await follower.step();
    expect(transfers).to.deep.equal(await transfersOnChain(from));
    store.close();
  });
});
