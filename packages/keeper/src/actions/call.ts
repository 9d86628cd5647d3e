/**
 * An action on any contract: a function of `contract` (an address, or a name in the protocol's `contracts`) called
 * with `args` by the action's `key`, e.g. an OpenZeppelin `pause()` through an AccessManager role, or Aave's
 * `PoolConfigurator.setPoolPause(true)` by its emergency admin. `done` says what "already done" looks like: a view
 * call and the value it returns once the goal is reached (`{ call: "paused()", equals: true }`), on `contract` or on
 * another one. The responder skips the transaction only when a quorum of endpoints and a proof (the view executed
 * against a quorum-agreed header's state root) both show the goal reached.
 *
 * Arguments are checked and encoded at load: a wrong count, a value that is not of its type, or a name that is not
 * in `contracts` is a problem of the config file, with its line.
 */
import { getAddress, isAddress } from "ethers/address";
import { keccak256 } from "ethers/crypto";
import { FunctionFragment, Interface, type ParamType } from "ethers/abi";
import { toUtf8Bytes } from "ethers/utils";
import { z } from "zod";

import { ActionConfigError, defineActionKind } from "../config/kinds.js";
import { addressOrNameSchema } from "../config/primitives.js";
import type { DoneCheck } from "../detectors/types.js";

/** An argument as written in YAML: numbers, strings (amounts, addresses, names, hex), booleans, lists (tuples). */
const argSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.array(argSchema), z.record(z.string(), argSchema)]),
);

const signatureSchema = z
  .string()
  .min(3, 'a function signature, e.g. "pause()" or "function setPoolPause(bool paused)"')
  .describe('a function signature ("setPoolPause(bool)") or a human-readable ABI fragment');

const doneSchema = z
  .object({
    /** The view function, by signature (`paused()`) or fragment (`function paused() view returns (bool)`). */
    call: signatureSchema,
    args: z.array(argSchema).default([]),
    /** The contract the view is called on. Default: the action's `contract`. */
    contract: addressOrNameSchema.optional(),
    /**
     * The value the view returns once the goal is reached. Encoded by the fragment's `returns` if it has one, else
     * by its own type: a boolean as `bool`, a whole number as `uint256`, an address as `address`.
     */
    equals: argSchema,
  })
  .strict();

export type DoneConfig = z.output<typeof doneSchema>;

export default defineActionKind({
  kind: "call",
  docs:
    "Calls `function` (a signature or ABI fragment) of `contract` with `args`, sent by `key`: any pause function of a " +
    "contract Cordon did not write. `done` (a view, its `args`, optionally its `contract`, and the value it `equals` " +
    "once the goal is reached) lets the keeper skip the transaction when a quorum and a proof show it is not needed. " +
    "`requires` says in words what the contract requires of the key (`--check` prints it and simulates the call).",
  role: (c) => c.requires ?? null,
  onHub: false,
  options: {
    contract: addressOrNameSchema,
    function: signatureSchema,
    args: z.array(argSchema).default([]),
    done: doneSchema.optional(),
    /** What the target requires of the key, in words (`EMERGENCY_ADMIN on Aave's ACLManager`). */
    requires: z.string().min(1).optional(),
  },
  addresses: ["contract", "done.contract"],
  response: (c, addresses, contracts) => {
    const target = addresses.contract!;
    const fn = fragmentOf(c.function, ["function"]);
    const data = encodeCall(fn, c.args, contracts, ["args"]);
    const description = `${fn.name}(${c.args.map(showArg).join(", ")}) on ${target}`;
    const done = c.done === undefined ? undefined : doneCheck(c.done, addresses["done.contract"] ?? target, contracts);
    return { kind: "call", target, data, description, ...(done === undefined ? {} : { done }) };
  },
});

/** The fragment of `signature`: `setPoolPause(bool)`, `function setPoolPause(bool paused)`, with `returns` or not. */
export function fragmentOf(signature: string, at: (string | number)[]): FunctionFragment {
  const text = signature.trim().startsWith("function ") ? signature.trim() : `function ${signature.trim()}`;
  try {
    return FunctionFragment.from(text);
  } catch (error) {
    throw new ActionConfigError(
      at,
      `"${signature}" is not a function signature: ${(error as Error).message.split(" (")[0]}; write e.g. "pause()" or "setPoolPause(bool)"`,
    );
  }
}

/** The calldata of `fn` with `args` (contract names of address arguments resolved), checked against its inputs. */
export function encodeCall(
  fn: FunctionFragment,
  args: unknown[],
  contracts: Record<string, string>,
  at: (string | number)[],
): string {
  if (args.length !== fn.inputs.length) {
    throw new ActionConfigError(
      at,
      `${fn.format("sighash")} takes ${fn.inputs.length} argument${fn.inputs.length === 1 ? "" : "s"}, ${args.length} given`,
    );
  }
  const values = fn.inputs.map((input, i) => coerce(input, args[i], contracts, [...at, i]));
  try {
    return new Interface([fn]).encodeFunctionData(fn, values);
  } catch (error) {
    throw new ActionConfigError(
      at,
      `cannot encode ${fn.format("sighash")}: ${(error as Error).message.split(" (")[0]}`,
    );
  }
}

/** A YAML value as ethers encodes `type`: names of contracts for addresses, amounts like `5000e18` for integers. */
function coerce(type: ParamType, value: unknown, contracts: Record<string, string>, at: (string | number)[]): unknown {
  const wrong = (what: string) =>
    new ActionConfigError(at, `${JSON.stringify(value)} is not ${what} (the argument's type is ${type.format()})`);
  if (type.baseType === "array") {
    if (!Array.isArray(value)) throw wrong("a list");
    return value.map((v, i) => coerce(type.arrayChildren!, v, contracts, [...at, i]));
  }
  if (type.baseType === "tuple") {
    const components = type.components!;
    if (Array.isArray(value)) return components.map((c, i) => coerce(c, value[i], contracts, [...at, i]));
    if (typeof value === "object" && value !== null) {
      return components.map((c) => coerce(c, (value as Record<string, unknown>)[c.name], contracts, [...at, c.name]));
    }
    throw wrong("a list or a map of the tuple's fields");
  }
  if (type.baseType === "address") {
    if (typeof value !== "string") throw wrong("an address or a name in the protocol's contracts");
    if (isAddress(value)) return getAddress(value);
    const named = contracts[value];
    if (named === undefined) {
      throw new ActionConfigError(
        at,
        `"${value}" is neither an address nor a name in the protocol's contracts (${Object.keys(contracts).join(", ") || "none"})`,
      );
    }
    return named;
  }
  if (type.baseType === "bool") {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    throw wrong("true or false");
  }
  if (/^u?int/.test(type.baseType)) {
    const n = integer(value);
    if (n === undefined) throw wrong("a whole number");
    return n;
  }
  if (type.baseType === "string") {
    if (typeof value !== "string") throw wrong("a string");
    return value;
  }
  if (type.baseType.startsWith("bytes")) {
    if (typeof value !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(value)) throw wrong("0x and hex bytes");
    return value;
  }
  return value;
}

/** A whole number written as a number, a decimal string, `5000e18`, or 0x hex. */
function integer(value: unknown): bigint | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value !== "string") return undefined;
  const text = value.replace(/_/g, "");
  if (/^-?\d+$/.test(text) || /^0x[0-9a-fA-F]+$/.test(text)) return BigInt(text);
  const sci = /^(\d+)e(\d+)$/.exec(text);
  return sci === null ? undefined : BigInt(sci[1]!) * 10n ** BigInt(sci[2]!);
}

function doneCheck(done: DoneConfig, target: string, contracts: Record<string, string>): DoneCheck {
  const fn = fragmentOf(done.call, ["done", "call"]);
  const data = encodeCall(fn, done.args, contracts, ["done", "args"]);
  const outputs: readonly ParamType[] | string[] = fn.outputs.length > 0 ? fn.outputs : [typeOf(done.equals)];
  let equals: string;
  try {
    const types = outputs.map((o) => (typeof o === "string" ? o : o.format()));
    const fake = FunctionFragment.from(`function f(${types.join(",")})`);
    equals =
      "0x" +
      encodeCall(fake, [done.equals].flat(fn.outputs.length > 1 ? 1 : 0), contracts, ["done", "equals"]).slice(10);
  } catch (error) {
    if (error instanceof ActionConfigError) throw new ActionConfigError(["done", "equals"], error.message);
    throw error;
  }
  const description = `${fn.name}(${done.args.map(showArg).join(", ")}) == ${showArg(done.equals)} on ${target}`;
  return { target, data, equals: equals.toLowerCase(), description };
}

/** The ABI type a `done.equals` value stands for when the view's fragment does not say what it returns. */
function typeOf(value: unknown): string {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string" && isAddress(value)) return "address";
  if (typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value)) return "bytes32";
  if (integer(value) !== undefined) return "uint256";
  throw new ActionConfigError(
    ["done", "equals"],
    `cannot tell the type of ${JSON.stringify(value)}: give the view's return type, e.g. "function paused() view returns (bool)"`,
  );
}

function showArg(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A short, stable name of a transaction's calldata: the outbox key of a `call` names its target and this. */
export function callId(data: string): string {
  return keccak256(toUtf8Bytes(data.toLowerCase())).slice(2, 18);
}
