/**
 * The real `cordon` tasks as child processes, the way an operator runs them: `hardhat --network cordonTest cordon
 * ...` against a test `hardhat node`, with the deployment record in a temporary folder (so nothing is written into
 * the repository). `chainFingerprint` tells whether anything was sent between two points.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";

import type { Deployment } from "@cordon/keeper/governance/deployments.js";
import type { TestChain } from "@cordon/testkit/chain.js";

const require = createRequire(import.meta.url);
const HARDHAT_CLI = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
const run = promisify(execFile);

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hardhat --network <network> cordon <args>` against `rpcUrl`, reading deployments from `deployments`. */
export async function runCordon(
  rpcUrl: string,
  deployments: string,
  args: string[],
  network = "cordonTest",
): Promise<CliOutcome> {
  const env = { ...process.env, CORDON_TEST_RPC_URL: rpcUrl, CORDON_DEPLOYMENTS_DIR: deployments };
  try {
    const { stdout, stderr } = await run(process.execPath, [HARDHAT_CLI, "--network", network, "cordon", ...args], {
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Writes the `cordonTest` deployment record under `deployments`. */
export function writeTestDeployment(deployments: string, deployment: Deployment): void {
  mkdirSync(path.join(deployments, "cordonTest"), { recursive: true });
  writeFileSync(path.join(deployments, "cordonTest", "cordon.json"), JSON.stringify(deployment));
}

/** The head block and every account's nonce: equal before and after a command means it sent nothing. */
export async function chainFingerprint(chain: TestChain, accounts: string[]): Promise<string> {
  const nonces = await Promise.all(accounts.map((a) => chain.provider.getTransactionCount(a, "latest")));
  return `block ${await chain.provider.getBlockNumber()}, nonces ${nonces.join(",")}`;
}
