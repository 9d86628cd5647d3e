/**
 * A keeper process whose WebSocket endpoint keeps answering requests but stops delivering its `newHeads`
 * subscription, with no close and no error (as a `hardhat node` does 300 s after a subscription was made, and
 * providers do too): the exploit mined in the first block the subscription no longer announces is still paused
 * within one block. The same through the node's own subscription lifetime, without a proxy fault, is the soak test
 * (test/soak/subscription-lifetime.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { keeperConfig } from "../support/keeper-config.js";
import { deploySampleProtocol } from "../support/protocol.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("cordon watch with a silent subscription, as a separate process", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let dir: string;

  beforeEach(async function () {
    chain = await startTestChain(["http-1", "http-2", "ws"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-keeper-"));
  });

  afterEach(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pauses an exploit mined in the first block its WebSocket endpoint's subscription no longer delivers within one block", async function () {
    const protocol = await deploySampleProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, "data"), 0)); // the last proxy, "ws", over WebSocket
    const ws = chain.proxies[2]!;
    const height = async () => Number(await chain.node.rpc<string>("eth_blockNumber"));
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);

    const keeper = runKeeper(["--config", file], { CORDON_GUARDIAN_KEY: TEST_KEYS.keeper });
    try {
      await keeper.waitFor((l) => l.event === "heads-subscribed" && l.endpoint === "ws", 30_000);
      // Two blocks in: the keeper knows the chain's pace from the block timestamps before it has seen it.
      await sleep(2_000);

      // Right after a block, the subscription falls silent; the exploit is mined in the next block.
      const before = await height();
      while ((await height()) === before) await sleep(20);
      ws.fault = { kind: "silent-subscription" };
      const exploitBlock = await protocol.exploit();
      const action = await keeper.waitFor((l) => l.event === "action", 30_000);
      expect(action.status).to.equal("mined");
      expect(ws.swallowedNotifications, "the exploit's block was not announced").to.be.at.least(1);
      expect(Number(action.block) - exploitBlock, "blocks from the exploit to the pause").to.be.at.most(1);
      expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(1n);

      const silent = await keeper.waitFor((l) => l.event === "heads-silent", 10_000);
      expect(silent).to.include({ endpoint: "ws", replacement: "resubscribe" });
      expect(Number(silent.lastHead)).to.be.below(exploitBlock);
      expect(Number(silent.agreedHead)).to.be.at.least(exploitBlock);
      expect(Number(silent.behindMs), "found within about one block interval").to.be.at.most(1_500);
      // The endpoint is named where operators look: its status is disputed, with why.
      const named = await keeper.waitFor(
        (l) => l.event === "endpoint-status" && l.endpoint === "ws" && l.status === "disputed",
        10_000,
      );
      expect(String(named.why)).to.match(/newHeads subscription went silent/);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "one transaction from the keeper").to.equal(1);
      console.log(
        `      exploit in block ${exploitBlock}, paused in block ${String(action.block)}; ` +
          `subscription found silent ${String(silent.behindMs)} ms after the agreed head passed its head ${String(silent.lastHead)}`,
      );
    } finally {
      keeper.child.kill("SIGTERM");
      await keeper.exited;
      await chain.node.rpc("evm_setIntervalMining", [0]);
    }
  });
});
