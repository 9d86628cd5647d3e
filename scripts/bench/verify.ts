/**
 * `npm run bench:verify`: what a proven call costs against a plain `eth_call`, measured in the same run.
 *
 * Starts a `hardhat node` on loopback behind three proxies (the tests' launcher and fault proxy, no fault set),
 * deploys the sample protocol (contracts/sample/CordonVault.sol under a CordonHub) and a contract whose digest reads
 * 50 storage slots (contracts/mocks/FiftySlots.sol), and times, for each digest, RUNS times:
 * - a plain `eth_call` of `stateDigest()` to one endpoint at the block;
 * - the trusted header (a quorum of the three endpoints agreeing on the block; hash recomputed from its fields);
 * - the proven call at that header, from cold (a new prover: no proof cached), with its JSON-RPC requests.
 * The header is resolved once per block and serves every call at it, so it is reported apart from the call.
 *
 * Writes bench/out/verify.json and prints the medians and whether the targets are met: a proven call under 300 ms
 * and within 10x a plain eth_call's time. Exits non-zero if not.
 */
import { mkdirSync, writeFileSync } from "node:fs";

import { Interface } from "ethers";

import { BlockProver, EndpointLedger, trustedBlock } from "@cordon/keeper/proof/index.js";
import { RpcPool, hexNumber } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, startTestChain } from "@cordon/testkit/chain.js";
import { deploy } from "../../test/support/deploy.js";
import { deploySampleProtocol } from "../../test/support/protocol.js";

const RUNS = Number(process.env.CORDON_BENCH_RUNS ?? 30);
const WARMUP = 5;
const TARGET_MS = 300;
const TARGET_RATIO = 10;
const digest = new Interface(["function stateDigest() view returns (bytes32)"]).encodeFunctionData("stateDigest");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const ms = (x: number) => Math.round(x * 100) / 100;

const chain = await startTestChain(["a", "b", "c"]);
const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })), graceMs: 1_000 });
try {
  const protocol = await deploySampleProtocol(chain);
  const fifty = await deploy(await chain.wallet(TEST_KEYS.deployer), "FiftySlots", "contracts/mocks", []);
  const targets = [
    { name: "CordonVault.stateDigest() (sample vault)", to: String(protocol.vault.target) },
    { name: "FiftySlots.stateDigest() (50 storage slots)", to: String(fifty.target) },
  ];
  const requests = () => [...chain.proxies].reduce((n, p) => n + [...p.calls.values()].reduce((a, b) => a + b, 0), 0);

  const ledger = new EndpointLedger(pool.endpoints.map((e) => e.name));
  const headerTimes: number[] = [];
  let headerCalls = 0;
  let block = await trustedBlock(pool, ledger);
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const before = requests();
    const started = performance.now();
    block = await trustedBlock(pool, ledger);
    if (i >= WARMUP) headerTimes.push(performance.now() - started);
    headerCalls = requests() - before;
  }

  const results = [];
  for (const target of targets) {
    const endpoint = pool.endpoints[0]!;
    const plain: number[] = [];
    const proven: number[] = [];
    let last: Awaited<ReturnType<BlockProver["call"]>> | undefined;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      // Alternate, so that both see the same machine load.
      let started = performance.now();
      const answer = await endpoint.request<string>("eth_call", [
        { to: target.to, data: digest },
        hexNumber(block.number),
      ]);
      const plainMs = performance.now() - started;
      started = performance.now();
      const result = await new BlockProver(pool, block).call({ to: target.to, data: digest });
      const provenMs = performance.now() - started;
      if (result.returnData !== answer)
        throw new Error(`${target.name}: proven ${result.returnData}, eth_call ${answer}`);
      if (i >= WARMUP) {
        plain.push(plainMs);
        proven.push(provenMs);
      }
      last = result;
    }
    const ratio = median(proven) / median(plain);
    results.push({
      name: target.name,
      digest: last!.returnData,
      plain_eth_call: { median_ms: ms(median(plain)), p90_ms: ms(p90(plain)), rpc_calls: 1 },
      proven_call: {
        median_ms: ms(median(proven)),
        p90_ms: ms(p90(proven)),
        rpc_calls: last!.rpcCalls,
        evm_runs: last!.rounds,
        accounts_read: last!.reads.accounts.length,
        slots_read: last!.reads.slots,
      },
      ratio: Math.round(ratio * 10) / 10,
      met: { under_300_ms: median(proven) < TARGET_MS, within_10x: ratio <= TARGET_RATIO },
    });
  }
  const output = {
    node: "hardhat node (EDR), over loopback HTTP through a proxy",
    endpoints: 3,
    runs: RUNS,
    block: { number: Number(block.number), hash: block.hash, state_root: block.stateRoot },
    trusted_header: {
      median_ms: ms(median(headerTimes)),
      p90_ms: ms(p90(headerTimes)),
      rpc_calls: headerCalls,
      note: "once per block; every proven call at that block reuses it",
    },
    targets: { proven_call_ms: TARGET_MS, ratio_to_eth_call: TARGET_RATIO },
    results,
    nodejs: process.version,
  };
  mkdirSync("bench/out", { recursive: true });
  writeFileSync("bench/out/verify.json", JSON.stringify(output, null, 2) + "\n");

  const yes = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(`\nproven eth_call vs plain eth_call, median of ${RUNS} (block ${block.number})`);
  console.log(
    `  trusted header            ${output.trusted_header.median_ms} ms, ${headerCalls} requests (once per block)`,
  );
  for (const r of results) {
    console.log(`  ${r.name}`);
    console.log(`    plain eth_call          ${r.plain_eth_call.median_ms} ms, 1 request`);
    console.log(
      `    proven call             ${r.proven_call.median_ms} ms, ${r.proven_call.rpc_calls} requests, ` +
        `${r.proven_call.evm_runs} EVM runs, ${r.proven_call.slots_read} slots`,
    );
    console.log(
      `    ratio                   ${r.ratio}x  (under ${TARGET_MS} ms: ${yes(r.met.under_300_ms)}; ` +
        `within ${TARGET_RATIO}x: ${yes(r.met.within_10x)})`,
    );
  }
  console.log("Written to bench/out/verify.json.");
  if (results.some((r) => !r.met.under_300_ms || !r.met.within_10x)) process.exitCode = 1;
} finally {
  pool.close();
  await chain.stop();
}
