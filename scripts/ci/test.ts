/**
 * `npm test`'s runner, after the build: every Solidity and Mocha test, in two groups that run at the same time, each
 * its own `hardhat test` processes. One group is the Solidity tests and the governance tests (whose time is mostly
 * spent starting `hardhat` child processes, the way an operator runs the tasks); the other is everything else (the
 * keeper, the watcher and their faults). On two cores this takes about half as long as one `hardhat test`.
 *
 * Each group's output is held and printed whole when it ends, so the two do not interleave; a progress line every 30 s
 * says what is still running. The last line sums the groups ("N passing (…)"), and the exit code is non-zero if any
 * group failed.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const HARDHAT = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.name.endsWith(".test.ts") ? [file] : [];
  });
}

const files = testFiles("test").sort();
const governance = files.filter((f) => /^test\/(governance|tasks)\//.test(f));
const rest = files.filter((f) => !governance.includes(f));

interface Group {
  name: string;
  runs: string[][];
}

const groups: Group[] = [
  {
    name: "solidity and governance",
    runs: [
      ["test", "solidity"],
      ["test", "mocha", "--no-compile", ...governance],
    ],
  },
  { name: "keeper, watcher and the rest", runs: [["test", "mocha", "--no-compile", ...rest]] },
];

interface Outcome {
  group: Group;
  code: number;
  output: string;
}

const started = Date.now();
const seconds = () => Math.round((Date.now() - started) / 1000);
const running = new Set<string>();
const outputs = new Map<string, string>();

async function run(group: Group): Promise<Outcome> {
  running.add(group.name);
  let output = "";
  let code = 0;
  for (const args of group.runs) {
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [HARDHAT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      const take = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        outputs.set(group.name, output);
      };
      child.stdout.on("data", take);
      child.stderr.on("data", take);
      child.on("close", (status) => resolve(status ?? 1));
    });
    if (code !== 0) break;
  }
  running.delete(group.name);
  console.log(`\n===== ${group.name}: ${code === 0 ? "passed" : `FAILED (exit ${code})`} after ${seconds()} s =====\n`);
  console.log(output);
  return { group, code, output };
}

console.log(`Running ${files.length} Mocha test files and the Solidity tests in ${groups.length} groups at once...`);
const progress = setInterval(() => {
  const counts = [...running].map((name) => `${name} (${(outputs.get(name) ?? "").split("✔").length - 1} passed)`);
  console.log(`... ${seconds()} s: still running ${counts.join(", ")}`);
}, 30_000);
const outcomes = await Promise.all(groups.map(run));
clearInterval(progress);

const sum = (pattern: RegExp) =>
  outcomes.reduce((n, o) => n + [...o.output.matchAll(pattern)].reduce((m, match) => m + Number(match[1]), 0), 0);
const passing = sum(/^ *(\d+) passing/gm);
const failing = sum(/^ *(\d+) failing/gm);
const pending = sum(/^ *(\d+) pending/gm);
const failed = outcomes.filter((o) => o.code !== 0);
console.log(
  `${passing} passing (${groups.length} groups at once, ${seconds()} s)${pending > 0 ? `, ${pending} pending` : ""}`,
);
if (failing > 0) console.log(`${failing} failing`);
if (failed.length > 0) {
  console.log(`failed: ${failed.map((o) => o.group.name).join(", ")}`);
  process.exitCode = 1;
}
