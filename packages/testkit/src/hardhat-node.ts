/**
 * Starts a real `hardhat node` process on loopback for tests and drills that must talk JSON-RPC over HTTP, and stops
 * it. Each call gets its own port and its own chain. The node runs the Hardhat project in `cwd` (default: the current
 * directory), with that project's own Hardhat.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";

/** The CLI of the Hardhat installed in the project at `cwd`. */
function hardhatCli(cwd: string): string {
  const require = createRequire(path.join(cwd, "package.json"));
  return path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
}

export interface HardhatNode {
  url: string;
  port: number;
  process: ChildProcess;
  /** Sends one JSON-RPC request straight to the node (no proxy). */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return reject(new Error("no port"));
      server.close(() => resolve(address.port));
    });
  });
}

export async function rpcCall<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export interface NodeOptions {
  timeoutMs?: number;
  /** The Hardhat config's simulated network the node runs (default: Hardhat's `node` network). */
  network?: string;
  /** The Hardhat project to run the node in (default: the current directory). */
  cwd?: string;
  /** The node's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export async function startHardhatNode(options: NodeOptions = {}): Promise<HardhatNode> {
  const port = await freePort();
  const network = options.network === undefined ? [] : ["--network", options.network];
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const args = [hardhatCli(cwd), ...network, "node", "--hostname", "127.0.0.1", "--port", String(port)];
  const child = spawn(process.execPath, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...(options.env ?? process.env), FORCE_COLOR: "0" },
  });
  return await nodeReady("hardhat node", child, port, options.timeoutMs ?? 60_000, 200);
}

/**
 * Waits until the node process `child` answers JSON-RPC on `port` (its output kept for the error), then returns its
 * handle; kills it and throws with that output if it exits or does not answer within `timeoutMs`.
 */
export async function nodeReady(
  name: string,
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  pollMs: number,
): Promise<HardhatNode> {
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
    try {
      await rpcCall(url, "eth_chainId");
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${name} did not answer on ${url} in time:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  return {
    url,
    port,
    process: child,
    rpc: (method, params = []) => rpcCall(url, method, params),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
