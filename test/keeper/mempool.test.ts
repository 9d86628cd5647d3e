/**
 * The keeper's mempool stage as a keeper runs it: a separate process whose config turns on `mempool` for the
 * protocol, against a `hardhat node` that mines a block every few seconds by itself (interval mining; its mempool
 * orders transactions by fee), through three endpoints, the last over WebSocket (a `newPendingTransactions`
 * subscription; the others are polled). An exploit sent to the public mempool is seen, simulated by a quorum of traces,
 * judged by the same detector that judges blocks, and beaten: the keeper's pause is mined in the exploit's own block,
 * ordered before it, and the exploit reverts with nothing drained. Also with the primary endpoint down and the exploit
 * replaced by a higher-fee version (the pause in flight is replaced above it). Lures that look like exploits and never
 * land (each replaced by a harmless transfer before a block) make at most one pending-triggered pause an hour: the
 * pause ends at the hub's bound, and the lures after it only report.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import type { Contract, TransactionResponse } from "ethers";

import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { freePort } from "@cordon/testkit/hardhat-node.js";
import { type KeeperProcess, runKeeper } from "@cordon/testkit/keeper-process.js";
import { get, keeperConfig, until } from "../support/keeper-config.js";
import { deploySampleProtocol, E18, type SampleProtocol } from "../support/protocol.js";

const ENV = { CORDON_GUARDIAN_KEY: TEST_KEYS.keeper };
const GWEI = 10n ** 9n;
const STATE_ACTIVE = 0n;
const STATE_PAUSED = 1n;

/** The sample keeper config with the mempool stage on (at most one pending-triggered action an hour). */
function mempoolConfig(chain: TestChain, protocol: SampleProtocol, dir: string, port: number): string {
  const file = path.join(dir, "keeper.yml");
  const yaml = keeperConfig(chain, protocol, path.join(dir, "data"), port).replace(
    "    detectors: [",
    "    mempool: { minSeverity: critical, maxActionsPerHour: 1, pollIntervalMs: 50 }\n    detectors: [",
  );
  expect(yaml).to.include("mempool:");
  writeFileSync(file, yaml);
  return file;
}

/** Resolves right after the node mines its next block: a transaction sent then has the whole interval ahead. */
async function nextBlock(chain: TestChain): Promise<number> {
  const height = async () => Number(await chain.node.rpc<string>("eth_blockNumber"));
  const now = await height();
  return await until(height, (n) => n > now, 15_000);
}

/** The exploit (redeeming 1,000 shares pays 10,000 tokens), sent to the mempool with the given fees. */
function sendExploit(
  protocol: SampleProtocol,
  fees: { maxPriorityFeePerGas: bigint; maxFeePerGas: bigint; nonce?: number },
): Promise<TransactionResponse> {
  const vault = protocol.vault.connect(protocol.attacker) as Contract;
  return vault.getFunction("redeem")(1_000n * E18, protocol.attacker.address, protocol.attacker.address, {
    ...fees,
    gasLimit: 500_000,
  }) as Promise<TransactionResponse>;
}

async function receipt(chain: TestChain, hash: string) {
  return (await until(
    () => chain.provider.getTransactionReceipt(hash),
    (r) => r !== null,
    20_000,
  ))!;
}

async function keeperSent(chain: TestChain, protocol: SampleProtocol): Promise<number> {
  return Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
}

describe("cordon watch with the mempool stage: the pause gets in first", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let dir: string;
  let keeper: KeeperProcess | undefined;

  beforeEach(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-mempool-"));
  });

  afterEach(async function () {
    if (keeper !== undefined && keeper.child.exitCode === null) {
      keeper.child.kill("SIGTERM");
      await keeper.exited;
    }
    keeper = undefined;
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(protocol: SampleProtocol, intervalMs: number | undefined): Promise<number> {
    const port = await freePort();
    const file = mempoolConfig(chain, protocol, dir, port);
    await chain.node.rpc("evm_setAutomine", [false]);
    if (intervalMs !== undefined) await chain.node.rpc("evm_setIntervalMining", [intervalMs]);
    keeper = runKeeper(["--config", file], ENV);
    await keeper.waitFor((l) => l.event === "network-ready");
    return port;
  }

  it("on a node mining every 2 s: the pause is ordered first in the exploit's block, the exploit reverts, 0% drained", async function () {
    const protocol = await deploySampleProtocol(chain);
    const vault = String(protocol.vault.target);
    const before = (await protocol.token.getFunction("balanceOf")(vault)) as bigint;
    const port = await start(protocol, 2_000);
    await nextBlock(chain); // the keeper has a head to simulate on
    await nextBlock(chain);

    const exploit = await sendExploit(protocol, { maxPriorityFeePerGas: 2n * GWEI, maxFeePerGas: 50n * GWEI });
    const action = await keeper!.waitFor((l) => l.event === "action", 30_000);
    expect(action.status).to.equal("mined");
    const pause = await receipt(chain, String(action.tx));
    const mined = await receipt(chain, exploit.hash);
    expect(mined.blockNumber, "the pause lands in the exploit's block").to.equal(pause.blockNumber);
    expect(pause.index, "ordered first").to.be.lessThan(mined.index);
    expect(mined.status, "the exploit reverts").to.equal(0);
    expect(await protocol.token.getFunction("balanceOf")(vault), "0% drained").to.equal(before);
    expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(STATE_PAUSED);
    expect(await keeperSent(chain, protocol), "one transaction from the keeper").to.equal(1);

    const finding = keeper!.logs.find((l) => l.event === "pending-finding")!;
    expect(finding, "the finding came from the pending transaction").to.not.equal(undefined);
    expect(finding.tx).to.equal(exploit.hash.toLowerCase());
    expect((finding.data as Record<string, unknown>).pending).to.equal(true);
    const metrics = await until(
      () => get(`http://127.0.0.1:${port}/metrics`),
      (m) => /cordon_mempool_transactions_total\{[^}]*stage="acted"\} 1/.test(m.body),
      5_000,
    );
    expect(metrics.body).to.match(/cordon_mempool_transactions_total\{[^}]*stage="simulated"\} [1-9]/);
    expect(metrics.body).to.match(/cordon_mempool_transactions_total\{[^}]*stage="flagged"\} [1-9]/);
    expect(metrics.body).to.match(/cordon_mempool_reaction_seconds_count\{network="local",protocol="vault"\} 1/);
  });

  it("with the primary endpoint down and the exploit replaced at a higher fee: the pause in flight is replaced above it", async function () {
    const protocol = await deploySampleProtocol(chain);
    const vault = String(protocol.vault.target);
    const before = (await protocol.token.getFunction("balanceOf")(vault)) as bigint;
    chain.proxies[0]!.fault = { kind: "down" };
    await start(protocol, 4_000);
    await nextBlock(chain);
    await nextBlock(chain);

    const nonce = await chain.provider.getTransactionCount(protocol.attacker.address, "latest");
    const first = await sendExploit(protocol, { maxPriorityFeePerGas: 2n * GWEI, maxFeePerGas: 50n * GWEI, nonce });
    await keeper!.waitFor((l) => l.event === "responder-sent", 10_000);
    // The attacker sees the pause and outbids it: same nonce, four times the tip, eight times the max fee.
    const replaced = await sendExploit(protocol, { maxPriorityFeePerGas: 8n * GWEI, maxFeePerGas: 400n * GWEI, nonce });
    const action = await keeper!.waitFor((l) => l.event === "action", 30_000);
    expect(action.status).to.equal("mined");
    expect(await chain.provider.getTransactionReceipt(first.hash), "the first version is gone").to.equal(null);
    const pause = await receipt(chain, String(action.tx));
    const mined = await receipt(chain, replaced.hash);
    expect(mined.blockNumber).to.equal(pause.blockNumber);
    expect(pause.index, "ordered first").to.be.lessThan(mined.index);
    expect(mined.status, "the replaced exploit reverts").to.equal(0);
    const pauseTx = (await chain.provider.getTransaction(String(action.tx)))!;
    expect(pauseTx.maxPriorityFeePerGas! > 8n * GWEI, "the pause bids above the replacement").to.equal(true);
    expect(
      keeper!.logs.some((l) => l.event === "responder-raise"),
      "the pause was replaced in flight",
    ).to.equal(true);
    expect(await protocol.token.getFunction("balanceOf")(vault), "0% drained").to.equal(before);
    expect(await keeperSent(chain, protocol), "one transaction of the keeper mined").to.equal(1);
  });

  it("lures that never land make one pending-triggered pause an hour; it ends at the hub's bound and is not renewed", async function () {
    const protocol = await deploySampleProtocol(chain);
    await start(protocol, undefined); // blocks mined by the test: each lure is replaced before one
    await chain.node.rpc("evm_mine");
    await new Promise((r) => setTimeout(r, 500));

    const attacker = protocol.attacker;
    const lure = async (): Promise<{ hash: string; event: string }> => {
      await new Promise((r) => setTimeout(r, 500)); // the keeper follows the last block (every 100 ms) before it
      const nonce = await chain.provider.getTransactionCount(attacker.address, "latest");
      const sent = await sendExploit(protocol, { maxPriorityFeePerGas: 2n * GWEI, maxFeePerGas: 50n * GWEI, nonce });
      const hash = sent.hash.toLowerCase();
      const judged = await keeper!.waitFor(
        (l) => (l.event === "mempool-pending-act" || l.event === "mempool-pending-refused") && l.tx === hash,
        15_000,
      );
      // The pause it triggered is out before the block (which is mined below, with whatever the mempool holds).
      if (judged.event === "mempool-pending-act") await keeper!.waitFor((l) => l.event === "responder-sent", 10_000);
      // Never lands: a harmless transfer to itself takes its nonce at a higher fee.
      await (
        await attacker.sendTransaction({
          to: attacker.address,
          value: 0,
          nonce,
          maxPriorityFeePerGas: 4n * GWEI,
          maxFeePerGas: 100n * GWEI,
        })
      ).wait(0);
      await chain.node.rpc("evm_mine");
      expect(await chain.provider.getTransactionReceipt(hash), "the lure never lands").to.equal(null);
      return { hash, event: String(judged.event) };
    };

    const first = await lure();
    expect(first.event, "the first lure acts").to.equal("mempool-pending-act");
    await keeper!.waitFor((l) => l.event === "action" && l.status === "mined", 20_000);
    expect(BigInt(await protocol.hub.getFunction("state")())).to.equal(STATE_PAUSED);

    // (A lure while paused simulates as reverting: nothing to judge.) The guardian pause is bounded by the hub (3 days
    // here): it ends, and the budget refuses the lures after it, so they do not renew it.
    const expiry = BigInt(((await protocol.hub.getFunction("currentSync")()) as { expiry: bigint }).expiry);
    const now = BigInt((await chain.provider.getBlock("latest"))!.timestamp);
    await chain.node.rpc("evm_increaseTime", [Number(expiry - now) + 1]);
    await chain.node.rpc("evm_mine");
    expect(BigInt(await protocol.hub.getFunction("state")()), "the pause ended at its bound").to.equal(STATE_ACTIVE);
    for (let i = 0; i < 3; i++) {
      expect((await lure()).event).to.equal("mempool-pending-refused");
    }
    expect(BigInt(await protocol.hub.getFunction("state")()), "still open").to.equal(STATE_ACTIVE);
    expect(await keeperSent(chain, protocol), "one pause in all").to.equal(1);
    const refused = keeper!.logs.filter((l) => l.event === "mempool-pending-refused");
    expect(String(refused[0]!.why)).to.match(/1 pending-triggered action\(s\) in the window already/);
  });
});
