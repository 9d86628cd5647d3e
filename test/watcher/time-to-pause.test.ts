import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { parseEther } from "ethers";

import { invariantDetector } from "@cordon/keeper/detectors/invariant.js";
import { largeTransferDetector } from "@cordon/keeper/detectors/transfers.js";
import { Responder } from "@cordon/keeper/responder/responder.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { Watcher } from "@cordon/keeper/watcher/watcher.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploySampleProtocol, E18 } from "../support/protocol.js";
import type { Fault, FaultProxy } from "@cordon/testkit/fault-proxy.js";
import type { HardhatNode } from "@cordon/testkit/hardhat-node.js";

/** What the primary endpoint does during the run; the two backups answer honestly. */
const FAULTS: { name: string; fault: (head: number) => Fault }[] = [
  { name: "dead", fault: () => ({ kind: "down" }) },
  { name: "slow (2 s per answer)", fault: () => ({ kind: "slow", delayMs: 2_000 }) },
  { name: "stale (stuck at an old head)", fault: (head) => ({ kind: "stale", head }) },
  { name: "lying (wrong hashes and state)", fault: () => ({ kind: "lying" }) },
  { name: "rate-limited (429)", fault: () => ({ kind: "rate-limited" }) },
  { name: "answering garbage", fault: () => ({ kind: "garbage" }) },
];

describe("Time to pause: an exploit in block N is paused in block N+1 whatever the primary endpoint does", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let node: HardhatNode;
  let proxies: FaultProxy[];
  let dir: string;

  before(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    ({ node, proxies } = chain);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-ttp-"));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const { name, fault } of FAULTS) {
    it(`primary endpoint ${name}: paused within one block, one pause transaction, no block skipped`, async function () {
      const { token, hub, vault, keeper, exploit } = await deploySampleProtocol(chain);
      const startBlock = Number(await node.rpc<string>("eth_blockNumber")) + 1;
      const nonceBefore = Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));

      // The primary endpoint misbehaves for the whole run; the chain mines one block per second.
      proxies[0]!.fault = fault(startBlock - 1);
      await node.rpc("evm_setAutomine", [false]);
      await node.rpc("evm_setIntervalMining", [1000]);

      const pool = new RpcPool({ endpoints: proxies.map((p) => ({ name: p.name, url: p.url, timeoutMs: 1_000 })) });
      const store = new Store(path.join(dir, `watcher-${FAULTS.findIndex((f) => f.name === name)}.db`), 31337);
      const ranges: [number, number][] = [];
      const responder = new Responder({
        pool,
        store,
        hub: String(hub.target),
        wallet: keeper,
        chainId: 31337n,
        feeCeiling: parseEther("0.0000002"),
        emergencyFeeCeiling: parseEther("0.000001"),
        replaceAfterMs: 2_000,
      });
      const watcher = new Watcher({
        pool,
        store,
        detectors: [
          largeTransferDetector({
            token: String(token.target),
            from: String(vault.target),
            threshold: 5_000n * E18,
            response: { kind: "pause", reason: 0x0101 },
          }),
          invariantDetector({ target: String(vault.target) }),
          { name: "ranges", evaluate: ({ range }) => (ranges.push([range.from, range.to]), []) },
        ],
        addresses: [String(token.target)],
        startBlock,
        responder,
        pollIntervalMs: 100,
      });
      const controller = new AbortController();
      const running = watcher.run(controller.signal);

      try {
        // The exploit: the flawed vault pays out without burning the shares.
        const exploitBlock = await exploit();

        let state = 0n;
        for (let i = 0; i < 100 && state === 0n; i++) {
          await new Promise((r) => setTimeout(r, 100));
          state = BigInt(await hub.getFunction("state")());
        }
        expect(state, "the hub is paused").to.equal(1n);
        // The responder records the receipt once it has read it (through the pool, slow endpoint included).
        for (let i = 0; i < 100 && store.unfinished().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
        expect(store.unfinished(), "no action left unfinished").to.deep.equal([]);
        const keeperTxs = Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));
        expect(keeperTxs - nonceBefore, "exactly one transaction from the keeper").to.equal(1);
        const [entry] = store.findingsFrom(exploitBlock);
        expect(entry?.detector).to.be.oneOf(["large-transfer", "invariant"]);
        const outbox =
          store.outboxEntry(`pause:${String(hub.target).toLowerCase()}:protocol:epoch-0`) ??
          store.outboxEntry(
            `tripOnInvariant:${String(hub.target).toLowerCase()}:invariant-${String(vault.target).toLowerCase()}:epoch-0`,
          );
        expect(outbox?.status).to.equal("mined");
        const receipt = await node.rpc<{ blockNumber: string }>("eth_getTransactionReceipt", [outbox!.txHash]);
        const pauseBlock = Number(receipt.blockNumber);
        expect(pauseBlock - exploitBlock, `exploit in ${exploitBlock}, pause in ${pauseBlock}`).to.equal(1);
        // Every block from the start was processed once, in order.
        expect(ranges[0]?.[0]).to.equal(startBlock);
        ranges.forEach(
          ([from], i) => i > 0 && expect(from, `range ${i} follows range ${i - 1}`).to.equal(ranges[i - 1]![1] + 1),
        );
        expect(ranges.at(-1)![1]).to.be.at.least(pauseBlock - 1);
      } finally {
        controller.abort();
        await running;
        await node.rpc("evm_setIntervalMining", [0]);
        await node.rpc("evm_setAutomine", [true]);
        proxies[0]!.fault = { kind: "none" };
        pool.close();
        store.close();
      }
    });
  }
});
