/**
 * The keeper as a keeper runs it: a separate Node process running the `cordon-keeper` binary of the installed
 * `@cordon/keeper` (compiled JavaScript on plain Node), given a config file and environment variables only. Collects
 * its JSON log lines so tests and drills can wait for events.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export interface KeeperCommandOptions {
  /** The program and its leading arguments; default: `node <the installed cordon-keeper binary>`. */
  command?: string[];
  cwd?: string;
}

/** The newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/**
 * `node <bin>` for the `cordon-keeper` binary of the `@cordon/keeper` that `cwd` resolves. In Cordon's own checkout
 * the package's sources sit beside its build, and a build older than its sources is refused: a test must not run
 * yesterday's keeper.
 */
export function keeperCommand(cwd: string = process.cwd()): string[] {
  const require = createRequire(path.join(cwd, "package.json"));
  const manifest = require.resolve("@cordon/keeper/package.json");
  const dir = path.dirname(manifest);
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  const entry = path.join(dir, bin["cordon-keeper"]!);
  let sources: number | undefined;
  try {
    sources = newest(path.join(dir, "src"));
  } catch {
    sources = undefined; // an installed package ships no sources
  }
  let built: number;
  try {
    built = newest(path.join(dir, "dist"));
  } catch {
    throw new Error(`@cordon/keeper at ${dir} is not built: run \`npm run build:packages\``);
  }
  if (sources !== undefined && sources > built) {
    throw new Error(`@cordon/keeper's build in ${dir}/dist is older than its sources: run \`npm run build:packages\``);
  }
  return [process.execPath, entry];
}

export interface KeeperProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** stdout lines that are not JSON, and stderr. */
  text: () => string;
  /** Resolves with the first log line matching `match`; rejects after `timeoutMs` with the output so far. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function runKeeper(
  args: string[],
  env: Record<string, string>,
  options: KeeperCommandOptions = {},
): KeeperProcess {
  const cwd = options.cwd ?? process.cwd();
  const [program, ...leading] = options.command ?? keeperCommand(cwd);
  const child = spawn(program!, [...leading, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let text = "";
  let buffer = "";
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        text += `${line}\n`;
        continue;
      }
      logs.push(parsed);
      for (const waiter of [...waiters]) {
        if (waiter.match(parsed)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(parsed);
        }
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    logs,
    text: () => text + buffer,
    exited,
    waitFor(match, timeoutMs = 30_000) {
      const found = logs.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `keeper log line not seen in ${timeoutMs} ms; output:\n${text}\n${logs.map((l) => JSON.stringify(l)).join("\n")}`,
            ),
          );
        }, timeoutMs);
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(
              `keeper exited with ${code} before the log line; output:\n${text}\n${logs.map((l) => JSON.stringify(l)).join("\n")}`,
            ),
          );
        });
      });
    },
  };
}
