/**
 * `npm run drill`: the fire drill. Every scripted exploit (src/drills/scenarios.ts) crossed with every fault
 * (src/drills/faults.ts), each cell on a fresh protocol on one `hardhat node` mining a block a second, watched by the
 * real keeper through three endpoints (fault-injecting proxies from test/support/). Prints the matrix, writes
 * bench/out/drill.json, and exits non-zero, naming each miss, if any cell misses a target: the pause within one block
 * of the first exploit transaction, a one-transaction drain stopped by the breaker in that transaction, no cell
 * draining more than the withdrawal limit, no block left unprocessed.
 *
 * `CORDON_DRILL_SCENARIOS` and `CORDON_DRILL_FAULTS` (comma-separated names) run a part of the matrix;
 * `CORDON_DRILL_KEEP=1` keeps every cell's logs and configs when all cells meet their targets too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { FAULTS } from "./drills/faults.js";
import { type DrillCell, formatMatrix, runCell } from "./drills/runner.js";
import { SCENARIOS } from "./drills/scenarios.js";
import { startTestChain } from "@cordon/testkit/chain.js";

const pick = <T extends { name: string }>(all: T[], env: string | undefined): T[] => {
  if (env === undefined || env.trim() === "") return all;
  const names = env.split(",").map((n) => n.trim());
  const unknown = names.filter((n) => !all.some((x) => x.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown drill name(s) ${unknown.join(", ")}; known: ${all.map((x) => x.name).join(", ")}`);
  }
  return all.filter((x) => names.includes(x.name));
};
const scenarios = pick(SCENARIOS, process.env.CORDON_DRILL_SCENARIOS);
const faults = pick(FAULTS, process.env.CORDON_DRILL_FAULTS);

/** A cell that could not run: every measure unknown, the error as its miss. */
function failedCell(scenario: string, fault: string, error: unknown): DrillCell {
  const message = (error as Error).message.split("\n")[0]!;
  return {
    scenario,
    fault,
    blocks_to_pause: null,
    drained_fraction: Number.NaN,
    pause_txs: Number.NaN,
    blocks_skipped: Number.NaN,
    exploit_block: Number.NaN,
    pause_block: null,
    paused_by: null,
    limit_fraction: Number.NaN,
    misses: [`the cell failed to run: ${message}`],
  };
}

const workDir = mkdtempSync(path.join(tmpdir(), "cordon-drill-"));
const chain = await startTestChain(["primary", "backup-1", "backup-2"]);
const cells: DrillCell[] = [];
const started = Date.now();
let failed = false;
try {
  console.log(`Fire drill: ${scenarios.length} exploits x ${faults.length} faults, one block a second\n`);
  for (const scenario of scenarios) {
    for (const fault of faults) {
      const t0 = Date.now();
      let cell: DrillCell;
      try {
        cell = await runCell(chain, scenario, fault, { workDir, log: (line) => console.log(line) });
      } catch (error) {
        cell = failedCell(scenario.name, fault.name, error);
      }
      cells.push(cell);
      console.log(
        `${cells.length}/${scenarios.length * faults.length} ${scenario.name} x ${fault.name}: ` +
          `${cell.blocks_to_pause === null ? "never paused" : `paused ${cell.blocks_to_pause} block(s) after the exploit by the ${cell.paused_by}`}` +
          `, ${(cell.drained_fraction * 100).toFixed(2)}% drained (${((Date.now() - t0) / 1000).toFixed(1)} s)` +
          (cell.misses.length > 0 ? `\n   MISSED: ${cell.misses.join("; ")}` : ""),
      );
    }
  }
  const out = path.resolve("bench/out/drill.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(cells, null, 2)}\n`);
  console.log(`\n${formatMatrix(cells)}\n`);
  const missed = cells.filter((c) => c.misses.length > 0);
  console.log(
    `Wrote ${path.relative(process.cwd(), out)} (${cells.length} cells in ${Math.round((Date.now() - started) / 1000)} s).`,
  );
  if (missed.length > 0) {
    failed = true;
    console.log(`\n${missed.length} cell(s) missed a target:`);
    for (const c of missed) console.log(`  ${c.scenario} x ${c.fault}: ${c.misses.join("; ")}`);
    console.log(`Keeper logs and configs of every cell: ${workDir}`);
  } else {
    console.log("Every cell met every target.");
  }
} finally {
  await chain.stop();
  if (!failed && process.env.CORDON_DRILL_KEEP === undefined) rmSync(workDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
