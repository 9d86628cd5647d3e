/**
 * Runs fire drills: for each cell of scenarios x faults, a fresh protocol on one `hardhat node` mining a block a
 * second, the real keeper watching it through three endpoints (in process, or as its own process for the crash
 * fault), the exploit, and the fault. Everything it reports is read back from the chain and the watcher's record:
 * blocks from the first exploit transaction to the first pause (receipts and the hub's events), the share of the
 * vault's assets that left it (its Transfer logs), the keeper key's nonce delta, and the blocks no processed range
 * covered.
 */
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Interface, Transaction, type TransactionResponse } from "ethers";

import type { TestChain } from "@cordon/testkit/chain.js";
import { type KeeperProcess, runKeeper } from "@cordon/testkit/keeper-process.js";
import { parseConfig } from "@cordon/keeper/config/load.js";
import { resolveSecrets } from "@cordon/keeper/config/secrets.js";
import { erc20Interface, TRANSFER_TOPIC } from "@cordon/keeper/contracts/abi.js";
import { Keeper } from "@cordon/keeper/keeper/service.js";
import { createLogger } from "@cordon/keeper/ops/logger.js";
import type { DrillFault } from "./faults.js";
import { deployDrillProtocol, type DrillProtocol, LIMIT_CAPACITY } from "./protocol.js";
import { readRanges, uncovered } from "./range-recorder.js";
import type { Scenario } from "./scenarios.js";

export interface DrillCell {
  scenario: string;
  fault: string;
  /** Blocks from the first exploit transaction to the first pause; null: never paused. */
  blocks_to_pause: number | null;
  /** Tokens that left the vault during the cell, over its assets before. */
  drained_fraction: number;
  /** Transactions the keeper's key sent (its nonce delta). */
  pause_txs: number;
  /** Blocks from the keeper's start to the end of the cell that no processed range covered. */
  blocks_skipped: number;
  exploit_block: number;
  pause_block: number | null;
  /** Who paused first: the on-chain breaker (the exploit's own transaction), the keeper, or someone else. */
  paused_by: "breaker" | "keeper" | "other" | null;
  /** The withdrawal limit's capacity over the vault's assets: the most any cell may drain. */
  limit_fraction: number;
  /** Each target this cell missed, in words. */
  misses: string[];
}

export interface DrillOptions {
  /** Where each cell's keeper config, logs and range record go. */
  workDir: string;
  /** Told each step, for progress output. */
  log?: (line: string) => void;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RANGE_RECORDER = path.join(ROOT, "scripts/drills/range-recorder.ts");
const KEEPER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PAUSE_EVENTS = new Interface([
  "event StateChanged(uint64 indexed incidentId, uint8 from, uint8 to, address indexed actor, uint16 reason, uint40 expiry)",
  "event ScopesPaused(uint64 indexed incidentId, uint256 scopes, address indexed actor, uint16 reason, uint40 expiry)",
  "event LimitTripped(uint64 indexed incidentId, address indexed target, uint256 scopes, uint16 reason)",
]);
const PAUSED = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The keeper config a drill cell runs: every detector that applies to the sample protocol, acting critically. With
 * `webSocket`, the primary endpoint (the first) speaks WebSocket; with `mempool`, the keeper watches pending
 * transactions too.
 */
export function drillConfig(
  chain: TestChain,
  p: DrillProtocol,
  dataDir: string,
  rangesFile: string,
  start: number,
  webSocket = false,
  mempool = false,
) {
  const url = (proxy: TestChain["proxies"][number], i: number) => (webSocket && i === 0 ? proxy.wsUrl : proxy.url);
  return `# written by the fire drill
dataDir: ${dataDir}
networks:
  local:
    chainId: 31337
    endpoints:
${chain.proxies.map((proxy, i) => `      - { name: ${proxy.name}, url: "${url(proxy, i)}", timeoutMs: 1000 }`).join("\n")}
    pollIntervalMs: 100
    startBlock: ${start}
keys:
  guardian: { env: CORDON_GUARDIAN_KEY }
protocols:
  vault:
    network: local
    hub: "${String(p.hub.target)}"
    contracts:
      usdc: "${String(p.token.target)}"
      vault: "${String(p.vault.target)}"
      hub: "${String(p.hub.target)}"
      feed: "${String(p.feed.target)}"
      reference: "${String(p.reference.target)}"
    detectors: [big-withdrawal, withdrawal-volume, vault-invariant, oracle, admin-changes, ranges]${mempool ? "\n    mempool: { minSeverity: critical, maxActionsPerHour: 1, pollIntervalMs: 50 }" : ""}
detectors:
  big-withdrawal: { kind: large-transfer, token: usdc, from: vault, threshold: 5000e18, severity: critical, action: pause-all }
  withdrawal-volume:
    { kind: outflow-volume, token: usdc, from: vault, windowBlocks: 20, threshold: 3000e18, severity: critical, action: pause-all }
  vault-invariant: { kind: invariant, target: vault }
  oracle:
    { kind: oracle-deviation, feed: feed, reference: reference, maxDeviationBps: 500, maxAgeSeconds: 3600, severity: critical, action: pause-all }
  admin-changes: { kind: privileged-events, contracts: [hub, vault], severity: critical, action: pause-all }
  ranges: { kind: module, module: "${RANGE_RECORDER}", options: { file: "${rangesFile}" } }
actions:
  pause-all: { kind: pause, reason: security, key: guardian }
log: { level: info }
`;
}

interface RunningKeeper {
  /** The keeper process, when it runs as one. */
  process?: KeeperProcess;
  stop(): Promise<void>;
}

async function startInProcess(configFile: string, text: string, logFile: string): Promise<RunningKeeper> {
  const config = parseConfig(text, configFile);
  const secrets = await resolveSecrets(config, { CORDON_GUARDIAN_KEY: KEEPER_KEY });
  const stream = createWriteStream(logFile, { flags: "a" });
  const keeper = await Keeper.start({ config, secrets, logger: createLogger("info", stream), ops: false });
  return {
    stop: async () => {
      await keeper.stop();
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

function startProcess(configFile: string, logFile: string): RunningKeeper {
  const child = runKeeper(["--config", configFile], { CORDON_GUARDIAN_KEY: KEEPER_KEY });
  return {
    process: child,
    stop: async () => {
      if (child.child.exitCode === null && child.child.signalCode === null) {
        child.child.kill("SIGTERM");
        await child.exited;
      }
      writeFileSync(logFile, child.logs.map((l) => JSON.stringify(l)).join("\n") + "\n" + child.text(), {
        flag: "a",
      });
    },
  };
}

async function head(chain: TestChain): Promise<number> {
  return Number(await chain.node.rpc<string>("eth_blockNumber"));
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

async function receipt(chain: TestChain, hash: string, timeoutMs = 20_000) {
  const found = await until(
    () => chain.node.rpc<{ blockNumber: string; status: string } | null>("eth_getTransactionReceipt", [hash]),
    (r) => r !== null,
    timeoutMs,
  );
  if (found === null) throw new Error(`transaction ${hash} not mined within ${timeoutMs} ms`);
  return { block: Number(found.blockNumber), ok: found.status === "0x1" };
}

/** Sends the raw transactions one per block: each after the previous one is mined. */
async function sendRaw(chain: TestChain, raws: string[]): Promise<void> {
  for (const raw of raws) await receipt(chain, await chain.node.rpc<string>("eth_sendRawTransaction", [raw]));
}

/** The attack: each step sent after the previous one is mined. Returns the signed transactions. */
async function attack(chain: TestChain, p: DrillProtocol, scenario: Scenario): Promise<string[]> {
  const raws: string[] = [];
  for (const step of scenario.steps) {
    const tx: TransactionResponse = await step(p);
    raws.push(Transaction.from(tx).serialized);
    await receipt(chain, tx.hash);
  }
  return raws;
}

/** The first pause at or after `from`: its block and who sent it. */
async function firstPause(chain: TestChain, p: DrillProtocol, from: number) {
  const logs = await chain.provider.getLogs({ address: String(p.hub.target), fromBlock: from, toBlock: "latest" });
  for (const log of logs) {
    const parsed = PAUSE_EVENTS.parseLog(log);
    if (parsed === null) continue;
    if (parsed.name === "StateChanged" && Number(parsed.args.to) !== PAUSED) continue;
    const tx = await chain.provider.getTransaction(log.transactionHash);
    const sender = tx?.from.toLowerCase();
    const by =
      sender === p.keeper.address.toLowerCase()
        ? ("keeper" as const)
        : sender === p.attacker.address.toLowerCase()
          ? ("breaker" as const)
          : ("other" as const);
    return { block: log.blockNumber, by };
  }
  return undefined;
}

/** Tokens the vault sent out from `from` on. */
async function outflows(chain: TestChain, p: DrillProtocol, from: number): Promise<bigint> {
  const vaultTopic = `0x${String(p.vault.target).slice(2).toLowerCase().padStart(64, "0")}`;
  const logs = await chain.provider.getLogs({
    address: String(p.token.target),
    topics: [TRANSFER_TOPIC, vaultTopic],
    fromBlock: from,
    toBlock: "latest",
  });
  return logs.reduce((sum, log) => sum + (erc20Interface.parseLog(log)!.args.value as bigint), 0n);
}

async function nonce(chain: TestChain, address: string): Promise<number> {
  return Number(await chain.node.rpc<string>("eth_getTransactionCount", [address, "latest"]));
}

/** Runs one cell on `chain` (a node with three proxies, automine on) and leaves the chain as it found it. */
export async function runCell(
  chain: TestChain,
  scenario: Scenario,
  fault: DrillFault,
  options: DrillOptions,
): Promise<DrillCell> {
  const log = options.log ?? (() => {});
  const dir = path.join(options.workDir, `${scenario.name}.${fault.name}`);
  mkdirSync(dir, { recursive: true });
  const { rpc } = chain.node;

  const p = await deployDrillProtocol(chain);
  await scenario.prepare?.(p);
  const start = (await head(chain)) + 1;
  const assetsBefore = BigInt(await p.token.getFunction("balanceOf")(p.vault.target));
  const nonceBefore = await nonce(chain, p.keeper.address);
  const rangesFile = path.join(dir, "ranges.txt");
  const configFile = path.join(dir, "keeper.yml");
  const logFile = path.join(dir, "keeper.log");
  const text = drillConfig(chain, p, path.join(dir, "data"), rangesFile, start, fault.webSocket, fault.publicMempool);
  writeFileSync(configFile, text);
  writeFileSync(rangesFile, "");

  await rpc("evm_setAutomine", [false]);
  await rpc("evm_setIntervalMining", [1000]);
  let keeper = fault.crash ? startProcess(configFile, logFile) : await startInProcess(configFile, text, logFile);
  let endFault: (() => Promise<void>) | undefined;
  try {
    // The watcher is caught up before anything happens.
    const covered = await until(
      async () => readRanges(rangesFile).some(([, to]) => to >= start),
      (ok) => ok,
      30_000,
    );
    if (!covered) throw new Error(`the keeper did not process block ${start} within 30 s; see ${logFile}`);
    endFault = await fault.apply?.({ chain, head: await head(chain) });
    // The fault holds for a block before the exploit (the attacker prices its fees on a spiked block too).
    const faulted = (await head(chain)) + 1;
    await until(
      () => head(chain),
      (n) => n >= faulted,
      10_000,
    );

    // The crash: SIGKILL as soon as the keeper opens the incident (right before it acts), then restart it.
    const crashed = keeper.process
      ?.waitFor((line) => line.event === "incident-opened", 60_000)
      .then(async () => {
        keeper.process!.child.kill("SIGKILL");
        await keeper.process!.exited;
        await keeper.stop();
        log(`   ${scenario.name} x ${fault.name}: keeper killed after detection; restarting`);
        keeper = startProcess(configFile, logFile);
      });

    let raws: string[];
    if (fault.reorgDepth !== undefined) {
      await rpc("evm_setIntervalMining", [0]);
      const snapshot = await rpc<string>("evm_snapshot");
      await rpc("evm_setIntervalMining", [1000]);
      // The old branch: the exploit's first transaction, then blocks up to the reorg's depth.
      const first = await attack(chain, p, { ...scenario, steps: scenario.steps.slice(0, 1) });
      const exploitA = (await receipt(chain, Transaction.from(first[0]!).hash!)).block;
      // Let the old branch grow `depth` blocks from the exploit, and the watcher follow it, then switch branches.
      const tip = exploitA + fault.reorgDepth - 1;
      await until(
        () => head(chain),
        (n) => n >= tip,
        30_000,
      );
      await rpc("evm_setIntervalMining", [0]);
      await until(
        async () => readRanges(rangesFile).some(([, to]) => to >= tip),
        (ok) => ok,
        15_000,
      );
      await rpc("evm_revert", [snapshot]);
      log(`   ${scenario.name} x ${fault.name}: reorganized out blocks ${exploitA}..${tip}; re-mining the exploit`);
      await rpc("evm_setIntervalMining", [1000]);
      await sendRaw(chain, first);
      raws = [...first, ...(await attack(chain, p, { ...scenario, steps: scenario.steps.slice(1) }))];
    } else {
      raws = await attack(chain, p, scenario);
    }
    const exploitBlock = (await receipt(chain, Transaction.from(raws[0]!).hash!)).block;

    // Wait for the pause (at most 20 blocks), then two more blocks for any replacement to land.
    const paused = await until(
      async () => (await firstPause(chain, p, exploitBlock)) ?? (await head(chain)) > exploitBlock + 20,
      (v) => v !== false,
      40_000,
    );
    await crashed?.catch(() => {}); // the crash fault may find no incident when the breaker paused first
    const settled = (await head(chain)) + 2;
    await until(
      () => head(chain),
      (n) => n >= settled,
      10_000,
    );
    const end = await head(chain);
    await until(
      async () => readRanges(rangesFile).some(([, to]) => to >= end),
      (ok) => ok,
      15_000,
    );
    await endFault?.();
    endFault = undefined;
    await keeper.stop();
    await rpc("evm_setIntervalMining", [0]);

    const pause = typeof paused === "object" ? paused : await firstPause(chain, p, exploitBlock);
    const drained = await outflows(chain, p, start);
    const cell: DrillCell = {
      scenario: scenario.name,
      fault: fault.name,
      blocks_to_pause: pause === undefined ? null : pause.block - exploitBlock,
      drained_fraction: Number((drained * 1_000_000n) / assetsBefore) / 1_000_000,
      pause_txs: (await nonce(chain, p.keeper.address)) - nonceBefore,
      blocks_skipped: uncovered(readRanges(rangesFile), start, end),
      exploit_block: exploitBlock,
      pause_block: pause?.block ?? null,
      paused_by: pause?.by ?? null,
      limit_fraction: Number((LIMIT_CAPACITY * 1_000_000n) / assetsBefore) / 1_000_000,
      misses: [],
    };
    cell.misses = missedTargets(cell, scenario, fault.publicMempool);
    return cell;
  } finally {
    await endFault?.().catch(() => {});
    await keeper.stop().catch(() => {});
    for (const proxy of chain.proxies) proxy.fault = { kind: "none" };
    await rpc("evm_setIntervalMining", [0]);
    await rpc("evm_setAutomine", [true]);
  }
}

/**
 * The targets, checked for one cell. Private orderflow: the pause within one block of the exploit, a one-transaction
 * drain stopped by the breaker in its own transaction, no more drained than the limit. Public mempool: the pause in
 * the exploit's own block, ordered before it, and nothing drained.
 */
export function missedTargets(
  cell: DrillCell,
  scenario: Pick<Scenario, "steps" | "name">,
  publicMempool = false,
): string[] {
  const misses: string[] = [];
  if (publicMempool) {
    if (cell.blocks_to_pause === null) misses.push("never paused");
    else if (cell.blocks_to_pause !== 0)
      misses.push(`paused ${cell.blocks_to_pause} block(s) after the exploit (target with the public mempool: 0)`);
    if (cell.drained_fraction > 0)
      misses.push(`drained ${cell.drained_fraction} of the vault (target with the public mempool: 0)`);
    if (cell.blocks_skipped > 0) misses.push(`${cell.blocks_skipped} blocks not processed by the watcher`);
    return misses;
  }
  if (cell.blocks_to_pause === null) misses.push("never paused");
  else if (cell.blocks_to_pause > 1) misses.push(`paused ${cell.blocks_to_pause} blocks after the exploit (target: 1)`);
  if (scenario.name === "fast-drain" && cell.blocks_to_pause !== 0)
    misses.push("the one-transaction drain was not stopped by the breaker in its own transaction");
  if (cell.drained_fraction > cell.limit_fraction)
    misses.push(`drained ${cell.drained_fraction} of the vault, above the limit's ${cell.limit_fraction}`);
  if (cell.blocks_skipped > 0) misses.push(`${cell.blocks_skipped} blocks not processed by the watcher`);
  return misses;
}

/** The matrix as a table: one row per cell. */
export function formatMatrix(cells: DrillCell[]): string {
  const header = ["scenario", "fault", "blocks to pause", "paused by", "drained", "pause txs", "skipped", "target"];
  const rows = cells.map((c) => [
    c.scenario,
    c.fault,
    c.blocks_to_pause === null ? "never" : String(c.blocks_to_pause),
    c.paused_by ?? "-",
    `${(c.drained_fraction * 100).toFixed(2)}%`,
    String(c.pause_txs),
    String(c.blocks_skipped),
    c.misses.length === 0 ? "met" : "MISSED",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((col, i) => col.padEnd(widths[i]!)).join("  ");
  return [header, widths.map((w) => "-".repeat(w)), ...rows].map((r) => line(r).trimEnd()).join("\n");
}
