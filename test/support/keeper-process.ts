/**
 * The keeper as a keeper runs it: a separate Node process started from the plain entry point with a config file
 * and environment variables only. Collects its JSON log lines so tests can wait for events.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

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

export function runKeeper(args: string[], env: Record<string, string>): KeeperProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/keeper/main.ts", ...args], {
    cwd: ROOT,
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
