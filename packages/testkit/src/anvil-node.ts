/**
 * Starts Foundry's anvil (the npm package `@foundry-rs/anvil-linux-amd64`, an optional dependency) on loopback: a
 * second, independent node implementation for tests that must not pass only because of one node's quirks. Anvil's
 * default accounts come from the same test mnemonic as Hardhat's, so TEST_KEYS are funded. `anvilBinary()` is
 * undefined where the package is not installed (another platform); tests then skip.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { type HardhatNode, freePort, nodeReady } from "./hardhat-node.js";

const require = createRequire(import.meta.url);

export function anvilBinary(): string | undefined {
  try {
    const dir = path.dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json"));
    const binary = path.join(dir, "bin", "anvil");
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An anvil node on its own port and chain (chain id 31337, the Prague fork), with the HardhatNode interface. Its
 * code size limit is off, as Hardhat's own test network runs under coverage: `npm run coverage` instruments the
 * contracts past the 24 KiB limit, and the tests deploy those artifacts.
 */
export async function startAnvil(options: { timeoutMs?: number } = {}): Promise<HardhatNode> {
  const binary = anvilBinary();
  if (binary === undefined) throw new Error("anvil is not installed (@foundry-rs/anvil-linux-amd64)");
  const port = await freePort();
  const child = spawn(
    binary,
    [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--hardfork",
      "prague",
      "--chain-id",
      "31337",
      "--disable-code-size-limit",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return await nodeReady("anvil", child, port, options.timeoutMs ?? 30_000, 100);
}
