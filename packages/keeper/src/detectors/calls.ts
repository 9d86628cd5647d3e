/**
 * Calls to given functions of a contract: the transactions of each block of the range sent to the contract (its
 * `to`) with one of the functions' selectors, decoded, with a condition on the arguments and on `sender`,
 * `txValue`, `method` and `reverted`. Only top-level calls are seen: a call from another contract is inside a trace,
 * which this detector does not read.
 *
 * The blocks are read with their transactions from a quorum of endpoints (`eth_getBlockByNumber`, the answers
 * compared whole) and chained by parent hash to the range's agreed head, so one endpoint cannot add or hide a
 * transaction, and a block reorged out while the range was read is refused rather than reported on.
 */
import type { FunctionFragment } from "ethers";
import { getAddress, Interface } from "ethers";

import type { Severity } from "../domain/types.js";
import { CordonError } from "../errors.js";
import type { RpcPool } from "../rpc/pool.js";
import { hexNumber } from "../rpc/pool.js";
import {
  Address,
  celType,
  celValue,
  type Condition,
  compileCondition,
  jsonValue,
  paramNames,
  renderSummary,
  UInt256,
} from "./expression.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

export interface CallsDetectorOptions {
  name?: string;
  contract: string;
  functions: readonly FunctionFragment[];
  /** CEL over the arguments by name, `sender`, `txValue`, `method` and `reverted`; it must fit every function. */
  condition?: string;
  summary?: string;
  severity?: Severity;
  response?: Response;
}

/** What a condition sees besides the call's arguments (an argument of the same name wins). */
const TX_NAMES = { sender: "address", txValue: "uint256", method: "string", reverted: "bool" } as const;

/** The names (and CEL types) a condition on a call to `fn` can use. */
export function callConditionNames(fn: FunctionFragment): Record<string, string> {
  const names = paramNames(fn.inputs);
  return { ...TX_NAMES, ...Object.fromEntries(fn.inputs.map((p, i) => [names[i]!, celType(p)])) };
}

export function callSummaryNames(fn: FunctionFragment): string[] {
  return [...Object.keys(callConditionNames(fn)), "contract", "block", "tx"];
}

interface RpcTransaction {
  hash: string;
  from: string;
  to: string | null;
  input: string;
  value: string;
}

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  transactions: RpcTransaction[];
}

/** Blocks `from..to` with their transactions, each from a quorum, chained by parent hash to `headHash`. */
export async function agreedBlocks(pool: RpcPool, from: number, to: number, headHash: string): Promise<RpcBlock[]> {
  const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const blocks: RpcBlock[] = [];
  const parallel = 8;
  for (let i = 0; i < numbers.length; i += parallel) {
    const batch = await Promise.all(
      numbers
        .slice(i, i + parallel)
        .map(
          async (n) => (await pool.quorumRead<RpcBlock | null>("eth_getBlockByNumber", [hexNumber(n), true])).result,
        ),
    );
    for (const [j, block] of batch.entries()) {
      if (block === null) {
        throw new CordonError(`block ${numbers[i + j]} is not served by a quorum yet`, { retryable: true });
      }
      blocks.push(block);
    }
  }
  const moved = () =>
    new CordonError(`the blocks ${from}..${to} changed while they were read (a reorg): the range is read again`, {
      retryable: true,
    });
  if (blocks.at(-1)!.hash.toLowerCase() !== headHash.toLowerCase()) throw moved();
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i]!.parentHash.toLowerCase() !== blocks[i - 1]!.hash.toLowerCase()) throw moved();
  }
  return blocks;
}

export function callsDetector(options: CallsDetectorOptions): Detector {
  const name = options.name ?? "calls";
  if (options.functions.length === 0) throw new CordonError(`${name}: name at least one function`);
  const contract = options.contract.toLowerCase();
  const iface = new Interface([...options.functions]);
  const bySelector = new Map(options.functions.map((f) => [f.selector, f]));
  const conditions = new Map<string, Condition>();
  if (options.condition !== undefined) {
    for (const f of options.functions)
      conditions.set(f.selector, compileCondition(options.condition, callConditionNames(f)));
  }

  return {
    name,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const findings: DetectorFinding[] = [];
      for (const block of await agreedBlocks(pool, range.from, range.to, range.head.hash)) {
        const number = Number(block.number);
        for (const tx of block.transactions) {
          if (tx.to?.toLowerCase() !== contract) continue;
          const fn = bySelector.get(tx.input.slice(0, 10).toLowerCase());
          if (fn === undefined) continue;
          let decoded;
          try {
            decoded = iface.decodeFunctionData(fn, tx.input);
          } catch {
            continue; // the selector, but calldata that does not decode: the contract reverts it
          }
          const receipt = await pool.quorumRead<{ status?: string } | null>("eth_getTransactionReceipt", [tx.hash]);
          const reverted = receipt.result?.status === "0x0";
          const names = paramNames(fn.inputs);
          const args = Object.fromEntries(fn.inputs.map((p, i) => [names[i]!, jsonValue(p, decoded[i])]));
          const condition = conditions.get(fn.selector);
          let failed: string | undefined;
          if (condition !== undefined) {
            const values: Record<string, unknown> = {
              sender: new Address(tx.from),
              txValue: new UInt256(BigInt(tx.value)),
              method: fn.name,
              reverted,
              ...Object.fromEntries(fn.inputs.map((p, i) => [names[i]!, celValue(p, decoded[i])])),
            };
            try {
              if (!condition.evaluate(values)) continue;
            } catch (error) {
              failed = (error as Error).message.split("\n")[0];
            }
          }
          const sender = getAddress(tx.from);
          const described = `${fn.name}(${names.map((n) => `${n}=${String(args[n])}`).join(", ")})`;
          const where = {
            sender,
            txValue: BigInt(tx.value).toString(),
            method: fn.name,
            reverted: String(reverted),
            contract: options.contract,
            block: String(number),
            tx: tx.hash,
          };
          findings.push({
            blockNumber: number,
            blockHash: block.hash.toLowerCase(),
            detector: name,
            severity: options.severity ?? "medium",
            summary:
              failed !== undefined
                ? `${sender} called ${described} on ${options.contract} in block ${number}: the condition \`${condition!.expression}\` could not be evaluated (${failed}); reported, not acted on`
                : options.summary !== undefined
                  ? renderSummary(options.summary, { ...where, ...args })
                  : `${sender} called ${described} on ${options.contract} in block ${number} (tx ${tx.hash}${reverted ? ", reverted" : ""})` +
                    (condition === undefined ? "" : `: ${condition.expression}`),
            data: {
              contract: options.contract,
              function: fn.format("sighash"),
              args,
              sender,
              txValue: BigInt(tx.value).toString(),
              tx: tx.hash,
              reverted,
              ...(condition === undefined ? {} : { condition: condition.expression }),
              ...(failed === undefined ? {} : { conditionError: failed }),
            },
            ...(options.response === undefined || failed !== undefined ? {} : { response: options.response }),
          });
        }
      }
      return findings;
    },
  };
}
