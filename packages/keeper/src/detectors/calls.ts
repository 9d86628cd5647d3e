/**
 * Calls to given functions of a contract: the transactions of each block of the range sent to the contract (its
 * `to`) with one of the functions' selectors, decoded, with a condition on the arguments and on `sender`,
 * `txValue`, `method` and `reverted`. Only top-level calls are seen: a call from another contract is inside a trace,
 * which this detector does not read.
 *
 * The blocks are read with their transactions and verified here (each header hashed, its transactions checked
 * against its `transactionsRoot`) and chained by parent hash to the range's agreed head ({@link agreedBlocks}), so
 * one endpoint cannot add, drop or change a transaction, and a block reorged out while the range was read is refused
 * rather than reported on.
 */
import { createBlockFromRPC } from "@ethereumjs/block";
import { createCustomCommon, Mainnet } from "@ethereumjs/common";
import { bytesToHex } from "@ethereumjs/util";
import type { FunctionFragment } from "ethers";
import { getAddress, Interface } from "ethers";

import type { Severity } from "../domain/types.js";
import { CordonError } from "../errors.js";
import { hardforkOf } from "../proof/header.js";
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

/**
 * Why `json` is not a block whose header hashes to its `hash` and whose transactions make its `transactionsRoot`
 * (undefined when it is). The header is rebuilt and hashed locally (@ethereumjs/block, as `src/proof` does).
 */
async function inconsistency(json: RpcBlock, chainId: bigint): Promise<string | undefined> {
  let block;
  try {
    const common = createCustomCommon({ chainId: Number(chainId) }, Mainnet, {
      hardfork: hardforkOf(json as unknown as Record<string, unknown>),
    });
    block = createBlockFromRPC(json as never, [], { common });
  } catch (error) {
    return `its fields do not form a block here (${(error as Error).message.split("\n")[0]})`;
  }
  const computed = bytesToHex(block.hash());
  if (computed !== json.hash.toLowerCase()) return `its header hashes to ${computed}, not ${json.hash}`;
  if (!(await block.transactionsTrieIsValid())) return "its transactions do not make its header's transactionsRoot";
  return undefined;
}

/** Block `tag` (a number or a hash) with its transactions, from the first endpoint whose answer is consistent. */
async function consistentBlock(pool: RpcPool, tag: number | string, chainId: bigint): Promise<RpcBlock | string[]> {
  const reasons: string[] = [];
  const method = typeof tag === "number" ? "eth_getBlockByNumber" : "eth_getBlockByHash";
  const param = typeof tag === "number" ? hexNumber(tag) : tag;
  const endpoints = [...pool.healthy(), ...pool.endpoints.filter((e) => !pool.healthy().includes(e))];
  for (const endpoint of endpoints) {
    let json: RpcBlock | null;
    try {
      json = await endpoint.request<RpcBlock | null>(method, [param, true]);
    } catch (error) {
      reasons.push(`${endpoint.name}: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    if (json === null) {
      reasons.push(`${endpoint.name}: does not have it`);
      continue;
    }
    const wrong = await inconsistency(json, chainId);
    if (wrong === undefined) return json;
    reasons.push(`${endpoint.name}: ${wrong}`);
  }
  return reasons;
}

/**
 * Blocks `from..to` with their transactions, bound to the range's agreed head `headHash`: each block's header is
 * hashed here and its transactions checked against the header's `transactionsRoot`, and each is the parent (by
 * hash) of the next, so no endpoint can add, drop or change a transaction without being caught. A block that does
 * not link (a reorg while the range was read, or an endpoint serving another fork) is asked of every endpoint by the
 * hash its child names. When no endpoint's block is consistent here (a chain whose header this library does not
 * know how to hash), the block is taken from a quorum whose answers agree whole, by that hash.
 */
export async function agreedBlocks(
  pool: RpcPool,
  from: number,
  to: number,
  headHash: string,
  knownChainId?: bigint,
): Promise<RpcBlock[]> {
  const chainId = knownChainId ?? BigInt((await pool.quorumRead<string>("eth_chainId")).result);
  const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const fetched: (RpcBlock | string[])[] = [];
  const parallel = 8;
  for (let i = 0; i < numbers.length; i += parallel) {
    fetched.push(...(await Promise.all(numbers.slice(i, i + parallel).map((n) => consistentBlock(pool, n, chainId)))));
  }
  const blocks: RpcBlock[] = new Array<RpcBlock>(numbers.length);
  let expected = headHash.toLowerCase();
  for (let i = numbers.length - 1; i >= 0; i--) {
    let block = fetched[i]!;
    if (Array.isArray(block) || block.hash.toLowerCase() !== expected) {
      const byHash = await consistentBlock(pool, expected, chainId);
      if (!Array.isArray(byHash) && byHash.hash.toLowerCase() === expected) block = byHash;
      else {
        const quorum = await pool
          .quorumRead<RpcBlock | null>("eth_getBlockByHash", [expected, true])
          .catch(() => ({ result: null }));
        if (quorum.result === null || quorum.result.hash.toLowerCase() !== expected) {
          throw new CordonError(
            `block ${numbers[i]} (${expected}) is not served consistently: the blocks ${from}..${to} changed while they were read (a reorg), or the endpoints disagree; the range is read again`,
            { details: (Array.isArray(byHash) ? byHash : []).join("; ") || undefined, retryable: true },
          );
        }
        block = quorum.result;
      }
    }
    blocks[i] = block;
    expected = block.parentHash.toLowerCase();
  }
  return blocks;
}

/**
 * Whether transaction `hash` reverted, as a quorum of endpoints reports it: the receipts' `status` only is compared
 * (clients differ in the other fields they return).
 */
async function revertedByQuorum(pool: RpcPool, hash: string): Promise<boolean> {
  const votes = new Map<string, number>();
  await Promise.all(
    pool.endpoints.map(async (endpoint) => {
      try {
        const receipt = await endpoint.request<{ status?: string } | null>("eth_getTransactionReceipt", [hash]);
        if (receipt?.status === undefined) return;
        const status = BigInt(receipt.status).toString();
        votes.set(status, (votes.get(status) ?? 0) + 1);
      } catch {
        // recorded in the endpoint's stats
      }
    }),
  );
  const agreed = [...votes].find(([, count]) => count >= pool.quorum);
  if (agreed === undefined) {
    throw new CordonError(`no ${pool.quorum} endpoints agree on the status of transaction ${hash}`, {
      retryable: true,
    });
  }
  return agreed[0] === "0";
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

  let chainId: bigint | undefined;

  return {
    name,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const findings: DetectorFinding[] = [];
      chainId ??= BigInt((await pool.quorumRead<string>("eth_chainId")).result); // asked once, of a quorum
      for (const block of await agreedBlocks(pool, range.from, range.to, range.head.hash, chainId)) {
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
          const reverted = await revertedByQuorum(pool, tx.hash);
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
