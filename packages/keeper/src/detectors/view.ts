/**
 * A view function polled every `everyBlocks` blocks, read from a quorum of endpoints pinned to the block, with a
 * condition on its value and on how it moved: `previous` (the last reading), and over the readings within
 * `windowBlocks` (this one included) `first`, `min`, `max` and `change` (`value - first`, signed). Before there is
 * an earlier reading, `previous` and `first` are the value itself (`change` is 0). One finding when the condition
 * becomes true; none while it stays true; another once it has been false and turns true again.
 */
import type { FunctionFragment, ParamType } from "ethers";
import { Interface } from "ethers";

import type { Severity } from "../domain/types.js";
import { CordonError } from "../errors.js";
import { hexNumber } from "../rpc/pool.js";
import {
  celType,
  celValue,
  type Condition,
  compileCondition,
  Int256,
  jsonValue,
  paramNames,
  renderSummary,
} from "./expression.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

export interface ViewDetectorOptions {
  name?: string;
  contract: string;
  /** A view function with at least one output; its first output is `value`. */
  function: FunctionFragment;
  args?: readonly unknown[];
  /** Read at every block whose number is a multiple of this. Default 1 (every block). */
  everyBlocks?: number;
  /** The window `first`, `min`, `max` and `change` look back over, in blocks. Default `everyBlocks` (the last reading). */
  windowBlocks?: number;
  condition: string;
  /** `{value}`, `{previous}`, `{first}`, `{min}`, `{max}`, `{change}`, the outputs by name, `{contract}`, `{block}`. */
  summary?: string;
  severity?: Severity;
  response?: Response;
}

const WINDOW = ["previous", "first", "min", "max", "change"] as const;

const numeric = (p: ParamType) => p.baseType.startsWith("uint") || p.baseType.startsWith("int");

/** The names (and CEL types) a condition on `fn`'s result can use. */
export function viewConditionNames(fn: FunctionFragment): Record<string, string> {
  const first = fn.outputs[0];
  if (first === undefined) return {};
  const names: Record<string, string> = {};
  paramNames(fn.outputs).forEach((n, i) => {
    if (!/^arg\d+$/.test(n)) names[n] = celType(fn.outputs[i]!);
  });
  const type = celType(first);
  Object.assign(names, { value: type, previous: type, first: type });
  if (numeric(first)) Object.assign(names, { min: type, max: type, change: "int256" });
  return names;
}

export function viewSummaryNames(fn: FunctionFragment): string[] {
  return [...Object.keys(viewConditionNames(fn)), "contract", "block"];
}

interface Reading {
  block: number;
  /** The decoded outputs. */
  outputs: unknown[];
  matched: boolean;
}

export function viewDetector(options: ViewDetectorOptions): Detector {
  const name = options.name ?? "view";
  const fn = options.function;
  const everyBlocks = options.everyBlocks ?? 1;
  const windowBlocks = options.windowBlocks ?? everyBlocks;
  if (fn.outputs.length === 0) {
    throw new CordonError(`${name}: ${fn.format("sighash")} returns nothing: a view detector needs a value`);
  }
  if (
    !Number.isSafeInteger(everyBlocks) ||
    everyBlocks < 1 ||
    !Number.isSafeInteger(windowBlocks) ||
    windowBlocks < 1
  ) {
    throw new CordonError(`${name}: everyBlocks and windowBlocks must be whole numbers of blocks >= 1`);
  }
  const iface = new Interface([fn]);
  const data = iface.encodeFunctionData(fn, [...(options.args ?? [])]);
  const condition: Condition = compileCondition(options.condition, viewConditionNames(fn));
  const first = fn.outputs[0]!;
  const outputNames = paramNames(fn.outputs);
  let readings: Reading[] = [];

  /** The condition's values at `block`, from `value` and the readings before it. */
  function windowOf(block: number, value: unknown) {
    const earlier = readings.filter((r) => r.block < block);
    const inWindow = earlier.filter((r) => r.block > block - windowBlocks).map((r) => r.outputs[0]);
    const previous = earlier.at(-1)?.outputs[0] ?? value;
    const oldest = inWindow[0] ?? value;
    const all = [...inWindow, value];
    const out: Record<string, unknown> = { value, previous, first: oldest };
    if (numeric(first)) {
      const big = all.map((v) => BigInt(v as bigint));
      out.min = big.reduce((a, b) => (b < a ? b : a));
      out.max = big.reduce((a, b) => (b > a ? b : a));
      out.change = BigInt(value as bigint) - BigInt(oldest as bigint);
    }
    return out;
  }

  return {
    name,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const findings: DetectorFinding[] = [];
      const start = Math.ceil(range.from / everyBlocks) * everyBlocks;
      for (let block = start; block <= range.to; block += everyBlocks) {
        const read = await pool.quorumRead<string>("eth_call", [{ to: options.contract, data }, hexNumber(block)]);
        const outputs = [...iface.decodeFunctionResult(fn, read.result)];
        const window = windowOf(block, outputs[0]);
        const values: Record<string, unknown> = {};
        outputNames.forEach((n, i) => {
          if (!/^arg\d+$/.test(n)) values[n] = celValue(fn.outputs[i]!, outputs[i]);
        });
        for (const [k, v] of Object.entries(window)) {
          values[k] = k === "change" ? new Int256(v as bigint) : celValue(first, v);
        }
        let matched = false;
        let failed: string | undefined;
        try {
          matched = condition.evaluate(values);
        } catch (error) {
          failed = (error as Error).message.split("\n")[0];
          matched = true; // reported once, like a match, until the condition evaluates again
        }
        const wasMatched = readings.filter((r) => r.block < block).at(-1)?.matched ?? false;
        readings = readings.filter((r) => r.block > block - Math.max(windowBlocks, everyBlocks) && r.block < block);
        readings.push({ block, outputs, matched });
        if (!matched || wasMatched) continue;

        const json: Record<string, unknown> = {};
        outputNames.forEach((n, i) => {
          if (!/^arg\d+$/.test(n)) json[n] = jsonValue(fn.outputs[i]!, outputs[i]);
        });
        for (const [k, v] of Object.entries(window)) json[k] = k === "change" ? String(v) : jsonValue(first, v);
        const where = { contract: options.contract, block: String(block) };
        const headHash = block === range.to ? range.head.hash : undefined;
        findings.push({
          blockNumber: block,
          blockHash: headHash ?? (await pool.agreedHash(block)) ?? range.head.hash,
          detector: name,
          severity: options.severity ?? "medium",
          summary:
            failed !== undefined
              ? `${fn.name}() of ${options.contract} at block ${block} is ${String(json.value)}: the condition \`${condition.expression}\` could not be evaluated (${failed}); reported, not acted on`
              : options.summary !== undefined
                ? renderSummary(options.summary, { ...json, ...where })
                : `${fn.name}() of ${options.contract} at block ${block} is ${String(json.value)}` +
                  (numeric(first)
                    ? ` (previous ${String(json.previous)}, ${String(json.first)} ${windowBlocks} blocks back, change ${String(json.change)})`
                    : ` (previous ${String(json.previous)})`) +
                  `: ${condition.expression}`,
          data: {
            contract: options.contract,
            function: fn.format("sighash"),
            ...json,
            windowBlocks,
            condition: condition.expression,
            agreed: read.agreed,
            ...(failed === undefined ? {} : { conditionError: failed }),
          },
          ...(options.response === undefined || failed !== undefined ? {} : { response: options.response }),
        });
      }
      return findings;
    },
    onReorg(ancestor: number) {
      readings = readings.filter((r) => r.block <= ancestor);
    },
  };
}
