/**
 * `npm run bench:watcher`: how fast the watcher catches up, and in how much memory.
 *
 * Starts a `hardhat node` on loopback (the tests' launcher, test/support/hardhat-node.ts), deploys 10 tokens
 * (contracts/mocks/TransferFlood.sol, each emitting ERC-20 Transfer logs out of its own protocol contract address)
 * and builds a chain of 20,000 blocks: 1,000 log-heavy blocks of one transaction with 105 transfers each (105,000
 * relevant logs), evenly spread, the blocks between them mined empty with `hardhat_mine`. Then it times a catch-up from
 * block 0 by the library's real pipeline in a child process (scripts/bench/watcher-catchup.ts), which samples its own
 * RSS, so only the catch-up is timed and only the watcher's memory is measured.
 *
 * Writes bench/out/watcher.json and prints the figures and whether the targets are met (at least 5,000 blocks/s, peak
 * RSS under 160 MB); exits non-zero if not. `CORDON_BENCH_PROFILE=<dir>` writes a CPU profile of the catch-up there.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type Contract, getAddress, id, JsonRpcProvider, Wallet } from "ethers";

import { TEST_KEYS } from "@cordon/testkit/chain.js";
import { deploy } from "../../test/support/deploy.js";
import { startHardhatNode } from "@cordon/testkit/hardhat-node.js";
import { keeperCommand } from "@cordon/testkit/keeper-process.js";
import type { CatchUpConfig, CatchUpResult } from "./watcher-catchup.js";

const BLOCKS = 20_000;
const CONTRACTS = 10;
const LOG_BLOCKS = 1_000;
const LOGS_PER_TX = 105;
const E18 = 10n ** 18n;
/** Every 100th log-heavy transaction moves large amounts: its last 5 transfers reach the large-transfer threshold. */
const LARGE_VALUE = 1_000_000n * E18;
const TARGET_BLOCKS_PER_S = 5_000;
const TARGET_PEAK_RSS_MB = 160;

const node = await startHardhatNode();
const dir = mkdtempSync(path.join(tmpdir(), "cordon-bench-watcher-"));
try {
  console.log(`Building a chain of ${BLOCKS} blocks with ${LOG_BLOCKS * LOGS_PER_TX} transfer logs...`);
  const buildStarted = performance.now();
  const provider = new JsonRpcProvider(node.url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const wallet = new Wallet(TEST_KEYS.deployer, provider);
  await node.rpc("hardhat_setBalance", [wallet.address, "0x56bc75e2d63100000"]);
  const tokens: Contract[] = [];
  for (let i = 0; i < CONTRACTS; i++) tokens.push(await deploy(wallet, "TransferFlood", "contracts/mocks", []));
  const protocols = tokens.map((_, i) => getAddress(id(`cordon-bench-protocol-${i}`).slice(0, 42)));

  // Sign every transaction up front, then send them with the empty blocks between them in JSON-RPC batches.
  let nonce = await provider.getTransactionCount(wallet.address, "latest");
  const deployed = await provider.getBlockNumber();
  const filler = BLOCKS - 1 - deployed - LOG_BLOCKS;
  const batch: { method: string; params: unknown[] }[] = [];
  for (let i = 0; i < LOG_BLOCKS; i++) {
    const t = i % CONTRACTS;
    const value = i % 100 === 99 ? LARGE_VALUE - BigInt(LOGS_PER_TX) + 5n : E18;
    const raw = await wallet.signTransaction({
      to: String(tokens[t]!.target),
      data: tokens[t]!.interface.encodeFunctionData("flood", [protocols[t], LOGS_PER_TX, value]),
      nonce: nonce++,
      gasLimit: 1_000_000n,
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 1n,
      chainId: 31337n,
      type: 2,
    });
    batch.push({ method: "eth_sendRawTransaction", params: [raw] });
    const gap = Math.floor(((i + 1) * filler) / LOG_BLOCKS) - Math.floor((i * filler) / LOG_BLOCKS);
    if (gap > 0) batch.push({ method: "hardhat_mine", params: [`0x${gap.toString(16)}`] });
    if (batch.length >= 100 || i === LOG_BLOCKS - 1) await sendBatch(node.url, batch.splice(0));
  }
  const head = await provider.getBlockNumber();
  provider.destroy();
  if (head !== BLOCKS - 1) throw new Error(`the chain has ${head + 1} blocks, not ${BLOCKS}`);
  console.log(`Built in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s. Catching up from block 0...`);

  const config: CatchUpConfig = {
    url: node.url,
    storePath: path.join(dir, "watcher.db"),
    contracts: tokens.map((t, i) => ({ token: String(t.target), protocol: protocols[i]! })),
    largeThreshold: LARGE_VALUE.toString(),
    volumeThreshold: (400n * E18).toString(),
    volumeWindowBlocks: 1_000,
  };
  const run = await catchUp(config);
  if (run.logs < LOG_BLOCKS * LOGS_PER_TX) {
    throw new Error(`the watcher saw ${run.logs} logs, expected ${LOG_BLOCKS * LOGS_PER_TX}`);
  }

  const result = {
    blocks: run.blocks,
    logs: run.logs,
    blocks_per_s: Math.round(run.blocks / run.seconds),
    logs_per_s: Math.round(run.logs / run.seconds),
    peak_rss_mb: Math.round(run.peakRssMb * 10) / 10,
    seconds: Math.round(run.seconds * 1000) / 1000,
    rss_before_mb: Math.round(run.rssBeforeMb * 10) / 10,
    findings: run.findings,
    log_ranges: run.ranges,
    contracts: CONTRACTS,
    endpoints: 3,
    targets: { blocks_per_s: TARGET_BLOCKS_PER_S, peak_rss_mb: TARGET_PEAK_RSS_MB },
    met: { blocks_per_s: false, peak_rss_mb: false },
    node: process.version,
    chain: `${LOG_BLOCKS} blocks of one transaction with ${LOGS_PER_TX} Transfer logs, spread evenly; the rest empty (hardhat_mine)`,
  };
  result.met = {
    blocks_per_s: result.blocks_per_s >= TARGET_BLOCKS_PER_S,
    peak_rss_mb: result.peak_rss_mb < TARGET_PEAK_RSS_MB,
  };
  mkdirSync("bench/out", { recursive: true });
  writeFileSync("bench/out/watcher.json", JSON.stringify(result, null, 2) + "\n");

  const yes = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(`\ncatch-up of ${result.blocks} blocks and ${result.logs} logs in ${result.seconds} s`);
  console.log(
    `  blocks/s     ${result.blocks_per_s}  (target >= ${TARGET_BLOCKS_PER_S}: ${yes(result.met.blocks_per_s)})`,
  );
  console.log(`  logs/s       ${result.logs_per_s}`);
  console.log(`  peak RSS MB  ${result.peak_rss_mb}  (target < ${TARGET_PEAK_RSS_MB}: ${yes(result.met.peak_rss_mb)})`);
  console.log(`  findings     ${result.findings}`);
  console.log("Written to bench/out/watcher.json.");
  if (!result.met.blocks_per_s || !result.met.peak_rss_mb) process.exitCode = 1;
} finally {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function sendBatch(url: string, requests: { method: string; params: unknown[] }[]): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(requests.map((r, i) => ({ jsonrpc: "2.0", id: i, ...r }))),
  });
  const answers = (await response.json()) as { error?: { message: string } }[];
  const failed = answers.find((a) => a.error !== undefined);
  if (failed !== undefined) throw new Error(`building the chain failed: ${failed.error!.message}`);
}

/**
 * Runs the catch-up in a child process and reads its figures. The child is plain Node 22, as a keeper runs: it
 * strips the script's types natively and imports `@cordon/keeper`'s compiled JavaScript (checked to be newer than its
 * sources), with no TypeScript loader in memory.
 */
async function catchUp(config: CatchUpConfig): Promise<CatchUpResult> {
  keeperCommand(); // throws when @cordon/keeper's build is missing or older than its sources
  const script = path.resolve("scripts/bench/watcher-catchup.ts");
  const profile = process.env.CORDON_BENCH_PROFILE;
  const flags = profile === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profile];
  const child = spawn(process.execPath, [...flags, "--no-warnings", script, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the catch-up process exited with ${code}:\n${output}`);
  return JSON.parse(output.trim().split("\n").at(-1)!) as CatchUpResult;
}
