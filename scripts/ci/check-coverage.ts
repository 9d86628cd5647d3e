/**
 * Fails when a Solidity file under `contracts/` has fewer covered lines than required.
 *
 * Reads the lcov report that `hardhat test --coverage` writes. Files the coverage config skips (mocks) are not in it.
 * Usage: node scripts/ci/check-coverage.ts [--min 100] [--lcov coverage/lcov.info]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    min: { type: "string", default: "100" },
    lcov: { type: "string", default: "coverage/lcov.info" },
  },
});
const min = Number(values.min);

interface FileCoverage {
  file: string;
  found: number;
  hit: number;
  missed: number[];
}

function parseLcov(text: string): FileCoverage[] {
  const files: FileCoverage[] = [];
  let current: FileCoverage | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("SF:")) current = { file: line.slice(3), found: 0, hit: 0, missed: [] };
    else if (line.startsWith("DA:") && current) {
      const [lineNo, count] = line.slice(3).split(",").map(Number);
      current.found += 1;
      if ((count ?? 0) > 0) current.hit += 1;
      else current.missed.push(lineNo ?? 0);
    } else if (line === "end_of_record" && current) {
      files.push(current);
      current = undefined;
    }
  }
  return files;
}

const report = parseLcov(readFileSync(values.lcov, "utf8")).filter((f) => f.file.includes("contracts/"));
if (report.length === 0) {
  console.error(`No contracts found in ${values.lcov}: run \`npm run coverage\` first.`);
  process.exit(1);
}
let failed = false;
for (const f of report) {
  const pct = f.found === 0 ? 100 : (100 * f.hit) / f.found;
  const ok = pct >= min;
  failed ||= !ok;
  const missed = f.missed.length > 0 ? ` (lines not run: ${f.missed.join(", ")})` : "";
  console.log(`${ok ? "ok  " : "FAIL"} ${pct.toFixed(2).padStart(6)}% ${f.file}${missed}`);
}
if (failed) {
  console.error(`Line coverage of contracts/ must be at least ${min}%. Add tests for the lines listed above.`);
  process.exit(1);
}
