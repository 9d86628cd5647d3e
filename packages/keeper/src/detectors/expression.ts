/**
 * Conditions in the keeper config (`event`, `view` and `calls` detectors): CEL, the Common Expression Language of
 * Kubernetes' validation rules and Google Cloud's IAM conditions, evaluated by `@marcbachmann/cel-js`. A condition
 * is type-checked when the config loads, against the names the detector gives it, so a typo or a comparison of an
 * address with a number is a config error with the file and the line, not a detector that never fires.
 *
 * Amounts are 256-bit, and CEL's `int` and `uint` are 64-bit. Every Solidity `uintN` is therefore a `uint256` value
 * and every `intN` an `int256`: types of our own whose arithmetic and comparisons are exact on bigint, and which mix
 * with CEL int literals (`amount > 1000000`, `value < previous * 90 / 100`). A result outside the type's range (an
 * underflow below 0, an overflow above 2^256-1), or a division by zero, is an error naming the numbers; never a
 * wrapped or rounded value. `uint256("5000e18")` writes a large amount exactly. Addresses are an `address` type
 * whose `==` with a string ignores case (checksummed or not, as written).
 */
import { Environment } from "@marcbachmann/cel-js";
import { getAddress, type ParamType } from "ethers";

import { parseAmount } from "../config/primitives.js";

const UINT256_MAX = (1n << 256n) - 1n;
const INT256_MIN = -(1n << 255n);
const INT256_MAX = (1n << 255n) - 1n;

/** A Solidity unsigned integer in a condition: exact, 0 ..= 2^256-1. */
export class UInt256 {
  constructor(readonly value: bigint) {
    if (value < 0n || value > UINT256_MAX) {
      throw new RangeError(`uint256 out of range: ${value} is ${value < 0n ? "below 0" : "above 2^256-1"}`);
    }
  }
  toString(): string {
    return this.value.toString();
  }
}

/** A Solidity signed integer in a condition: exact, -2^255 ..= 2^255-1. */
export class Int256 {
  constructor(readonly value: bigint) {
    if (value < INT256_MIN || value > INT256_MAX) {
      throw new RangeError(`int256 out of range: ${value} is outside -2^255 ..= 2^255-1`);
    }
  }
  toString(): string {
    return this.value.toString();
  }
}

/** An address in a condition, checksummed; `==` with a string ignores case. */
export class Address {
  readonly value: string;
  constructor(value: string) {
    this.value = getAddress(value);
  }
  toString(): string {
    return this.value;
  }
}

type Numeric = "uint256" | "int256" | "int";
const NUMERIC: Numeric[] = ["uint256", "int256", "int"];
const raw = (x: unknown): bigint => (typeof x === "bigint" ? x : (x as UInt256 | Int256).value);

function arithmetic(op: string, a: bigint, b: bigint): bigint {
  if ((op === "/" || op === "%") && b === 0n) throw new RangeError(`division by zero: ${a} ${op} 0`);
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b; // bigint division truncates toward zero, as Solidity's does
    default:
      return a % b;
  }
}

function compare(op: string, a: bigint, b: bigint): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      return a === b;
  }
}

function baseEnvironment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false })
    .registerType("uint256", UInt256)
    .registerType("int256", Int256)
    .registerType("address", Address);
  for (const [i, l] of NUMERIC.entries()) {
    for (const [j, r] of NUMERIC.entries()) {
      if (l === "int" && r === "int") continue; // CEL's own (64-bit, checked)
      const result = l === "int256" || r === "int256" ? "int256" : "uint256";
      const make = result === "int256" ? (v: bigint) => new Int256(v) : (v: bigint) => new UInt256(v);
      for (const op of ["+", "-", "*", "/", "%"]) {
        env.registerOperator(`${l} ${op} ${r}`, (a: unknown, b: unknown) => make(arithmetic(op, raw(a), raw(b))));
      }
      for (const op of ["<", "<=", ">", ">="]) {
        env.registerOperator(`${l} ${op} ${r}`, (a: unknown, b: unknown) => compare(op, raw(a), raw(b)));
      }
      // `==` is symmetric (the library derives `r == l` and `!=`): one registration per pair.
      if (j >= i) env.registerOperator(`${l} == ${r}`, (a: unknown, b: unknown) => raw(a) === raw(b));
    }
  }
  const addressText = (x: unknown) => (x instanceof Address ? x.value : String(x)).toLowerCase();
  env.registerOperator("address == address", (a: unknown, b: unknown) => addressText(a) === addressText(b));
  env.registerOperator("address == string", (a: unknown, b: unknown) => addressText(a) === addressText(b));
  env.registerOperator("address in list<string>", (a: unknown, list: unknown) =>
    (list as unknown[]).some((b) => addressText(b) === addressText(a)),
  );
  env.registerOperator("address in list<address>", (a: unknown, list: unknown) =>
    (list as unknown[]).some((b) => addressText(b) === addressText(a)),
  );
  env.registerOperator("-int256", (a: unknown) => new Int256(-raw(a)));
  const amount = (text: string): bigint => {
    const trimmed = text.trim();
    const value = /^-?0x[0-9a-f]+$/i.test(trimmed) ? BigInt(trimmed) : parseAmount(trimmed);
    if (value === undefined)
      throw new RangeError(`"${text}" is not a whole number (write "1500000", "5000e18" or "0x..")`);
    return value;
  };
  env.registerFunction("uint256(string): uint256", (s: string) => new UInt256(amount(s)));
  env.registerFunction("uint256(int): uint256", (v: bigint) => new UInt256(v));
  env.registerFunction("int256(string): int256", (s: string) =>
    s.trim().startsWith("-") ? new Int256(-amount(s.trim().slice(1))) : new Int256(amount(s)),
  );
  env.registerFunction("int256(int): int256", (v: bigint) => new Int256(v));
  env.registerFunction("int256(uint256): int256", (v: UInt256) => new Int256(v.value));
  env.registerFunction("uint256(int256): uint256", (v: Int256) => new UInt256(v.value));
  env.registerFunction("string(address): string", (v: Address) => v.value);
  return env;
}

/** The names a condition may use, with their CEL types (`uint256`, `address`, `bool`, `list<uint256>`, ...). */
export type ConditionNames = Record<string, string>;

/** A condition checked against its names: call it with their values. */
export interface Condition {
  readonly expression: string;
  evaluate(values: Record<string, unknown>): boolean;
}

/** A condition that is not valid CEL, names something unknown, or is not a bool. `message` says which and where. */
export class ConditionError extends Error {
  override name = "ConditionError";
}

function environment(names: ConditionNames): Environment {
  const env = baseEnvironment();
  for (const [name, type] of Object.entries(names)) env.registerVariable(name, type);
  return env;
}

function describe(error: Error & { range?: { start?: number } }, expression: string): string {
  const first = error.message.split("\n")[0]!.replace(/^Unknown variable:/, "unknown name:");
  const start = error.range?.start;
  const at = typeof start === "number" ? ` (at column ${start + 1}: "${expression.slice(start, start + 20)}")` : "";
  return `${first}${at}`;
}

/**
 * Type-checks `expression` against `names` and returns it ready to run; throws {@link ConditionError} with what is
 * wrong (a syntax error, an unknown name, a type mismatch, a result that is not a bool).
 */
export function compileCondition(expression: string, names: ConditionNames): Condition {
  const env = environment(names);
  const checked = env.check(expression);
  if (!checked.valid) {
    const known = Object.entries(names)
      .map(([n, t]) => `${n} (${t})`)
      .join(", ");
    throw new ConditionError(`${describe(checked.error!, expression)}; the names it can use: ${known || "none"}`);
  }
  if (checked.type !== "bool") {
    throw new ConditionError(`it is a ${checked.type}, not a bool: compare it, e.g. \`${expression} > 0\``);
  }
  const run = env.parse(expression);
  return {
    expression,
    evaluate(values) {
      const result: unknown = run(values);
      if (typeof result !== "boolean") throw new ConditionError(`evaluated to ${String(result)}, not a bool`);
      return result;
    },
  };
}

/** The CEL type of a decoded ABI value. */
export function celType(param: ParamType): string {
  const type = param.baseType;
  if (type === "array") return `list<${celType(param.arrayChildren!)}>`;
  if (type === "tuple") return "map<string, dyn>";
  if (type.startsWith("uint")) return "uint256";
  if (type.startsWith("int")) return "int256";
  if (type === "address") return "address";
  if (type === "bool") return "bool";
  return "string"; // string, bytes, bytesN (0x hex, lowercase)
}

/** A decoded ABI value as the condition sees it. */
export function celValue(param: ParamType, value: unknown): unknown {
  const type = param.baseType;
  if (type === "array") return [...(value as unknown[])].map((v) => celValue(param.arrayChildren!, v));
  if (type === "tuple") {
    const items = [...(value as unknown[])];
    return Object.fromEntries(param.components!.map((c, i) => [c.name || `arg${i}`, celValue(c, items[i])]));
  }
  if (type.startsWith("uint")) return new UInt256(BigInt(value as bigint));
  if (type.startsWith("int")) return new Int256(BigInt(value as bigint));
  if (type === "address") return new Address(String(value));
  if (type === "bool") return Boolean(value);
  if (type === "string") return String(value);
  return String(value).toLowerCase();
}

/** A decoded ABI value for a finding's `data` (JSON): integers as decimal strings, addresses checksummed. */
export function jsonValue(param: ParamType, value: unknown): unknown {
  const type = param.baseType;
  if (type === "array") return [...(value as unknown[])].map((v) => jsonValue(param.arrayChildren!, v));
  if (type === "tuple") {
    const items = [...(value as unknown[])];
    return Object.fromEntries(param.components!.map((c, i) => [c.name || `arg${i}`, jsonValue(c, items[i])]));
  }
  if (type.startsWith("uint") || type.startsWith("int")) return BigInt(value as bigint).toString();
  if (type === "address") return getAddress(String(value));
  if (type === "bool") return Boolean(value);
  if (type === "string") return String(value);
  return String(value).toLowerCase();
}

/** The names of a fragment's parameters as a condition sees them: their ABI names, or `arg0`, `arg1`, ... */
export function paramNames(params: readonly ParamType[]): string[] {
  return params.map((p, i) => p.name || `arg${i}`);
}

/**
 * A finding's summary from a template: `{name}` is replaced with the value of `name` in `values` (JSON form); a
 * name `values` lacks is left as written (the config loader refuses such a template, {@link unknownTemplateNames}).
 */
export function renderSummary(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

/** The `{name}`s of a summary template that are not in `names`. */
export function unknownTemplateNames(template: string, names: readonly string[]): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!).filter((n) => !names.includes(n));
}
