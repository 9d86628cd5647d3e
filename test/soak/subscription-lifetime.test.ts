/**
 * The soak test (`npm run test:soak`, not in `npm test`: it runs for six minutes). A keeper process watches two
 * protocols on a `hardhat node` mining a block a second, with new heads by subscription over WebSocket, for longer
 * than the node delivers a subscription (about 300 s after it was made, with no close and no error), and no proxy
 * fault: the node's own limit is the fault. Two exploits, each paused within one block:
 *
 * - one sent as soon as the node stops delivering a probe subscription the test made right after the keeper's (so the
 *   keeper's has stopped too), mined a block or two into the silence: where a keeper that trusted the silent
 *   subscription for 30 s was 4 or 5 blocks late (the exploit in the very first unannounced block, which no probe can
 *   time, is test/keeper/subscriptions.test.ts, with the proxy's fault);
 * - one 330 s after the keeper's subscription was made, once the keeper has replaced it.
 *
 * It prints each exploit's block, its pause's block and when it came, and what the keeper logged about its
 * subscriptions.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { keeperConfig } from "../support/keeper-config.js";
import { deploySampleProtocol, type SampleProtocol } from "../support/protocol.js";

const RUN_AS_TEST = process.env.CORDON_SOAK === "1";
/** A `hardhat node` stops delivering a subscription this long after it was made, ms. */
const NODE_SUBSCRIPTION_LIFETIME_MS = 300_000;
/** When the late exploit is sent, ms after the keeper's first subscription was made. */
const LATE_EXPLOIT_MS = 330_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A `newHeads` subscription straight to the node: the block numbers it announced. */
async function probe(url: string): Promise<{ announced: Set<number>; close: () => void }> {
  const socket = new WebSocket(url.replace(/^http/, "ws"));
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  const announced = new Set<number>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { method?: string; params?: { result?: { number?: string } } };
    if (message.method === "eth_subscription") announced.add(Number(message.params?.result?.number));
  });
  socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
  return { announced, close: () => socket.close() };
}

/** A second protocol block for the keeper config, with the same detectors and action as the first. */
function secondProtocol(name: string, protocol: SampleProtocol): string {
  return `  ${name}:
    network: local
    hub: "${String(protocol.hub.target)}"
    contracts:
      usdc: "${String(protocol.token.target)}"
      vault: "${String(protocol.vault.target)}"
    detectors: [big-withdrawal, vault-invariant]
`;
}

(RUN_AS_TEST ? describe : describe.skip)("A keeper watching past the node's subscription lifetime", function () {
  this.timeout(LATE_EXPLOIT_MS + 120_000);
  let chain: TestChain;
  let dir: string;

  before(async function () {
    chain = await startTestChain(["http-1", "http-2", "ws"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-soak-"));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pauses an exploit mined as the node's subscription falls silent, and one at 330 s, each within one block", async function () {
    const early = await deploySampleProtocol(chain);
    const late = await deploySampleProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    const config = keeperConfig(chain, early, path.join(dir, "data"), 0); // the last proxy, "ws", over WebSocket
    writeFileSync(file, config.replace("protocols:\n", `protocols:\n${secondProtocol("late-vault", late)}`));
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);

    const keeper = runKeeper(["--config", file], { CORDON_GUARDIAN_KEY: TEST_KEYS.keeper });
    const report: string[] = [];
    try {
      const subscribed = await keeper.waitFor((l) => l.event === "heads-subscribed" && l.endpoint === "ws", 30_000);
      const probed = await probe(chain.node.url);
      const subscribedAt = Date.parse(String(subscribed.time));
      const since = (at: number) => `${((at - subscribedAt) / 1000).toFixed(1)} s`;
      const height = async () => Number(await chain.node.rpc<string>("eth_blockNumber"));

      /** Sends the exploit when `ready` resolves; waits for its pause; returns blocks from exploit to pause. */
      const exploitWhen = async (ready: Promise<unknown>, protocol: SampleProtocol, name: string): Promise<number> => {
        await ready;
        const sentAt = Date.now();
        const exploitBlock = await protocol.exploit();
        const action = await keeper.waitFor((l) => l.event === "action" && l.protocol === name, 60_000);
        expect(action.status, `${name}: the pause mined`).to.equal("mined");
        const blocks = Number(action.block) - exploitBlock;
        report.push(
          `${name}: exploit sent ${since(sentAt)} after the first subscription, mined in block ${exploitBlock}; ` +
            `paused in block ${String(action.block)} (${blocks} block(s) later)`,
        );
        return blocks;
      };

      // The probe misses a block: the node no longer delivers subscriptions made when the keeper's was.
      const silence = (async () => {
        await sleep(subscribedAt + NODE_SUBSCRIPTION_LIFETIME_MS - 5_000 - Date.now());
        for (;;) {
          const head = await height();
          await sleep(300); // its notification, if the probe still gets them
          if (!probed.announced.has(head) || Date.now() > subscribedAt + NODE_SUBSCRIPTION_LIFETIME_MS + 20_000) {
            report.push(
              `the probe's first unannounced block: ${head}, ${since(Date.now())} after the keeper subscribed`,
            );
            return;
          }
          while ((await height()) === head) await sleep(20);
        }
      })();
      const earlyBlocks = await exploitWhen(silence, early, "vault");
      const lateBlocks = await exploitWhen(sleep(subscribedAt + LATE_EXPLOIT_MS - Date.now()), late, "late-vault");
      probed.close();

      for (const line of keeper.logs.filter((l) => String(l.event).startsWith("heads-"))) {
        const at = Date.parse(String(line.time));
        const { event, endpoint, lastHead, agreedHead, behindMs, subscribedForMs, replacement, head } = line;
        report.push(
          `${since(at)}: ${String(event)} ${String(endpoint)} ` +
            JSON.stringify({ lastHead, agreedHead, behindMs, subscribedForMs, replacement, head }),
        );
      }
      console.log(report.map((l) => `      ${l}`).join("\n"));

      const silent = keeper.logs.filter((l) => l.event === "heads-silent");
      expect(silent.length, "the node's silent subscription found").to.be.at.least(1);
      expect(Number(silent[0]!.subscribedForMs)).to.be.within(NODE_SUBSCRIPTION_LIFETIME_MS, 305_000);
      expect(
        keeper.logs.some((l) => l.event === "heads-resumed"),
        "its replacement delivering",
      ).to.equal(true);
      expect(earlyBlocks, "blocks from the exploit in the silence to its pause").to.be.at.most(1);
      expect(lateBlocks, "blocks from the exploit at 330 s to its pause").to.be.at.most(1);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [early.keeper.address, "latest"]));
      expect(sent, "one pause transaction per hub").to.equal(2);
    } finally {
      keeper.child.kill("SIGTERM");
      await keeper.exited;
      await chain.node.rpc("evm_setIntervalMining", [0]);
    }
  });
});
