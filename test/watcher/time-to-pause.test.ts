import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { parseEther } from "ethers";

import { invariantDetector } from "../../src/detectors/invariant.js";
import { largeTransferDetector } from "../../src/detectors/transfers.js";
import { Responder } from "../../src/responder/responder.js";
import { RpcPool } from "../../src/rpc/pool.js";
import { Store } from "../../src/store/store.js";
import { Watcher } from "../../src/watcher/watcher.js";
import { type TestChain, startTestChain } from "../support/chain.js";
import { deploySampleProtocol, E18 } from "../support/protocol.js";
import type { FaultProxy } from "../support/fault-proxy.js";
import type { HardhatNode } from "../support/hardhat-node.js";

describe("Time to pause: an exploit in block N is paused in block N+1 with the primary endpoint dead", function () {
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

  it("detects the drain, pauses within one block, and sends exactly one pause transaction", async function () {
    const { token, hub, vault, keeper, exploit } = await deploySampleProtocol(chain);
    const startBlock = Number(await node.rpc<string>("eth_blockNumber")) + 1;

    // The primary endpoint is dead for the whole run; the chain mines one block per second.
    proxies[0]!.fault = { kind: "down" };
    await node.rpc("evm_setAutomine", [false]);
    await node.rpc("evm_setIntervalMining", [1000]);

    const pool = new RpcPool({ endpoints: proxies.map((p) => ({ name: p.name, url: p.url, timeoutMs: 1_000 })) });
    const store = new Store(path.join(dir, "watcher.db"), 31337);
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
      const pauseTx = store.unfinished().length === 0 ? undefined : "unfinished";
      expect(pauseTx).to.equal(undefined);
      const keeperTxs = Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));
      expect(keeperTxs, "exactly one transaction from the keeper").to.equal(1);
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
    } finally {
      controller.abort();
      await running;
      await node.rpc("evm_setIntervalMining", [0]);
      await node.rpc("evm_setAutomine", [true]);
      store.close();
    }
  });
});
