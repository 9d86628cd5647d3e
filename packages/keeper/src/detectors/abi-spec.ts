/**
 * The ABI fragments the generic detectors (`event`, `view`, `calls`) are given in the config: a human-readable
 * signature (`"event Transfer(address indexed from, address indexed to, uint256 value)"`), or a name or a bare
 * signature (`"Transfer(address,address,uint256)"`) looked up in a JSON ABI file relative to the config (an array of
 * fragments, or a Hardhat/Foundry artifact with an `abi` field).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { EventFragment, FunctionFragment, Interface, type InterfaceAbi } from "ethers";

import { CordonError } from "../errors.js";

/** Reads a JSON ABI file (`file` relative to `configDir`); throws a CordonError saying what the file must hold. */
export function readAbiFile(file: string, configDir: string): Interface {
  const full = path.resolve(configDir, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(full, "utf8"));
  } catch (error) {
    throw new CordonError(`cannot read the ABI file ${full}: ${(error as Error).message.split("\n")[0]}`, {
      details:
        "the path is relative to the config file; it holds a JSON array of ABI fragments or an artifact with `abi`",
    });
  }
  const abi = Array.isArray(parsed) ? parsed : (parsed as { abi?: unknown } | null)?.abi;
  if (!Array.isArray(abi)) {
    throw new CordonError(
      `${full} is not an ABI: expected a JSON array of fragments or an object with an \`abi\` array`,
    );
  }
  try {
    return new Interface(abi as InterfaceAbi);
  } catch (error) {
    throw new CordonError(`${full} is not a valid ABI: ${(error as Error).message.split("\n")[0]}`);
  }
}

function fromSignature<T>(kind: "event" | "function", spec: string, parse: (text: string) => T): T {
  const text = spec.trim().startsWith(`${kind} `) ? spec.trim() : `${kind} ${spec.trim()}`;
  try {
    return parse(text);
  } catch (error) {
    throw new CordonError(
      `"${spec}" is not ${kind === "event" ? "an event" : "a function"} signature: ${(error as Error).message.split(" (")[0]}`,
      {
        details:
          kind === "event"
            ? 'write it as Solidity declares it, e.g. "event Transfer(address indexed from, address indexed to, uint256 value)", or give `abi` and the event\'s name'
            : 'write it as Solidity declares it, e.g. "function totalAssets() view returns (uint256)", or give `abi` and the function\'s name',
      },
    );
  }
}

function lookup<T>(kind: "event" | "function", spec: string, abi: Interface, get: (key: string) => T | null): T {
  let found: T | null;
  try {
    found = get(spec.trim());
  } catch (error) {
    throw new CordonError(`"${spec}" is ambiguous in the ABI: ${(error as Error).message.split(" (")[0]}`, {
      details: `give the full signature, e.g. "${kind === "event" ? "Transfer(address,address,uint256)" : "transfer(address,uint256)"}"`,
    });
  }
  if (found === null) {
    const names: string[] = [];
    abi.forEachEvent((e) => kind === "event" && names.push(e.format("sighash")));
    abi.forEachFunction((f) => kind === "function" && names.push(f.format("sighash")));
    throw new CordonError(`the ABI has no ${kind} "${spec}"`, {
      details: names.length > 0 ? `its ${kind}s: ${names.join(", ")}` : `it declares no ${kind}s`,
    });
  }
  return found;
}

/** The event `spec` names: a full signature, or (with `abi`) a name or a bare signature in the ABI. */
export function eventFragment(spec: string, abi?: Interface): EventFragment {
  if (abi === undefined) return fromSignature("event", spec, (text) => EventFragment.from(text));
  return lookup("event", spec, abi, (key) => abi.getEvent(key));
}

/** The function `spec` names: a full signature, or (with `abi`) a name or a bare signature in the ABI. */
export function functionFragment(spec: string, abi?: Interface): FunctionFragment {
  if (abi === undefined) return fromSignature("function", spec, (text) => FunctionFragment.from(text));
  return lookup("function", spec, abi, (key) => abi.getFunction(key));
}
