/**
 * The contracts' ABIs as ethers `Interface`s, built from the generated module (`./generated/cordon.ts`, written from
 * the compiled artifacts by `npx hardhat build`): no fragment here is written by hand.
 */
import { Interface } from "ethers/abi";

import {
  cordonGuardedAbi,
  cordonHubAbi,
  iCordonCheckpointedAbi,
  ierc20MetadataAbi,
  outflowLimitAbi,
} from "./generated/cordon.js";

export * from "./generated/cordon.js";

/** One entry of a JSON ABI, as the generated module holds them. */
export interface AbiEntry {
  readonly type: string;
  readonly name?: string;
  readonly inputs?: readonly AbiParam[];
  readonly [key: string]: unknown;
}
interface AbiParam {
  readonly type: string;
  readonly components?: readonly AbiParam[];
  readonly [key: string]: unknown;
}

const canonical = (p: AbiParam): string =>
  p.components === undefined ? p.type : `(${p.components.map(canonical).join(",")})${p.type.replace(/^tuple/, "")}`;
const signature = (e: AbiEntry) => `${e.type} ${e.name ?? ""}(${(e.inputs ?? []).map(canonical).join(",")})`;

/**
 * Concatenates ABIs, keeping the first entry of each signature: several contracts declare the same errors (every
 * guarded contract has ICordonGuarded's), and an ethers `Interface` takes each once. Constructors, fallbacks and
 * receives are left out: the result describes calls to an address, not a deployment.
 */
export function mergeAbis(...abis: readonly (readonly AbiEntry[])[]): AbiEntry[] {
  const seen = new Set<string>();
  const out: AbiEntry[] = [];
  for (const entry of abis.flat()) {
    if (!["function", "event", "error"].includes(entry.type)) continue;
    const key = signature(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}

/** Only the custom errors of an ABI. */
export function errorsOf(abi: readonly AbiEntry[]): AbiEntry[] {
  return abi.filter((entry) => entry.type === "error");
}

/** Only the events of an ABI, optionally only those named. */
export function eventsOf(abi: readonly AbiEntry[], names?: readonly string[]): AbiEntry[] {
  return abi.filter((entry) => entry.type === "event" && (names === undefined || names.includes(entry.name ?? "")));
}

/**
 * Every custom error a call to the hub can end in: the hub's own and OpenZeppelin AccessControl's (in its ABI), and
 * those of the protected contracts it pushes to and configures (ICordonGuarded's, OutflowLimit's).
 */
export const HUB_ERRORS = mergeAbis(errorsOf(cordonHubAbi), errorsOf(cordonGuardedAbi), errorsOf(outflowLimitAbi));

/** The hub as the watcher calls it: all of CordonHub's ABI, and every error a call to it can end in. */
export const hubInterface = new Interface(mergeAbis(cordonHubAbi, HUB_ERRORS));

export const checkpointedInterface = new Interface(iCordonCheckpointedAbi);

export const erc20Interface = new Interface(ierc20MetadataAbi);

export const TRANSFER_TOPIC = erc20Interface.getEvent("Transfer")!.topicHash;
