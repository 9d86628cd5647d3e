/**
 * The deployment record every task finds addresses in: `deployments/<network>/cordon.json`, written by
 * `cordon deploy` and read by network name. It names the hub, its protected contracts and who governs it (a signer,
 * a Safe or a TimelockController; for a Safe, optionally the MultiSendCallOnly its batches go through).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { isAddress } from "ethers";
import { z } from "zod";

import { CordonError } from "../errors.js";

const address = z.string().refine((value) => isAddress(value), { message: "not an address" });

export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  hub: address,
  protected: z.array(address),
  governance: z.object({
    kind: z.enum(["direct", "safe", "timelock"]),
    address,
    /** A Safe's MultiSendCallOnly: lets a task send several calls as one Safe transaction (e.g. `cordon recover`). */
    multiSend: address.optional(),
  }),
  guardians: z.array(address).default([]),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** Where the record of `network` lives under `root`. */
export function deploymentFile(root: string, network: string): string {
  return path.join(root, network, "cordon.json");
}

/** Reads and checks the record of `network`, or explains how to create it. */
export function readDeployment(root: string, network: string): Deployment {
  const file = deploymentFile(root, network);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CordonError(`no deployment for network ${network} (${file} is missing)`, {
      details: `run \`npx hardhat cordon deploy --network ${network}\` first, or pass the network the protocol is deployed on`,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CordonError(`${file} is not valid JSON`, { details: String(error), cause: error });
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new CordonError(`${file} is not a valid Cordon deployment record`, {
      details: `${problems.join("; ")}. Re-run \`npx hardhat cordon deploy --network ${network}\` to rewrite it.`,
    });
  }
  return parsed.data;
}

/** Writes the record of `network` (creating its folder). */
export function writeDeployment(root: string, network: string, deployment: Deployment): string {
  const file = deploymentFile(root, network);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(deploymentSchema.parse(deployment), null, 2)}\n`);
  return file;
}
