/**
 * Follows one chain from a durable cursor: catches up in batched `eth_getLogs` ranges that shrink when a provider
 * refuses a range or returns more logs than a range should hold, and grow back after, detects reorgs by comparing stored block hashes with the chain, retracts the
 * findings of reorged blocks and processes the new ones. No block is skipped and none is processed twice: a range's
 * findings are stored in the same transaction that moves the cursor past it.
 */
import { CordonError } from "../errors.js";
import { type BlockHead, parseHead } from "../rpc/endpoint.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";
import type { Finding } from "../domain/types.js";
import type { Store, StoredBlock } from "../store/store.js";

export interface Log {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

/** A JSON-RPC log object as a {@link Log}. */
export function toLog(l: Record<string, string | string[] | boolean>): Log {
  return {
    address: String(l.address).toLowerCase(),
    topics: l.topics as string[],
    data: String(l.data),
    blockNumber: Number(l.blockNumber),
    blockHash: String(l.blockHash),
    transactionHash: String(l.transactionHash),
    logIndex: Number(l.logIndex),
  };
}

export interface BlockRange {
  from: number;
  to: number;
  /** The last block of the range. */
  head: BlockHead;
  /** Logs of the watched addresses in the range, in chain order. */
  logs: Log[];
}

export interface FollowerOptions {
  pool: RpcPool;
  store: Store;
  /** Contracts whose logs are delivered. */
  addresses: string[];
  /** The first block to process when the store has no cursor yet. */
  startBlock: number;
  /** The largest `eth_getLogs` range tried; it halves when a provider refuses a range. Default 2,000. */
  maxRange?: number;
  /**
   * How many logs a range should return at most: after a denser range, the next is sized to this many at the same
   * density. It keeps each response (and the memory it takes) small, and under the result limits many providers
   * have (often 10,000 logs). Default 2,000.
   */
  maxLogsPerRange?: number;
  /** Turns a range into findings; they are stored atomically with the cursor move. */
  onRange: (range: BlockRange) => Promise<Finding[]> | Finding[];
  /** Told about a reorg after the store has rewound to `ancestor` and retracted `retracted`. */
  onReorg?: (ancestor: StoredBlock, retracted: Finding[]) => Promise<void> | void;
}

export interface StepResult {
  processed: number;
  head: number | undefined;
  reorg: { ancestor: number; retracted: number } | undefined;
}

/** A reorg deeper than the stored window: the follower cannot find where the chains meet. */
export class ReorgTooDeepError extends CordonError {
  override name = "ReorgTooDeepError";
  constructor(readonly oldestStored: number) {
    super(`the chain reorganized below block ${oldestStored}, the oldest block the follower remembers`, {
      details: "restart the watcher with an earlier start block, or raise the number of blocks kept",
    });
  }
}

export class Follower {
  private range: number;
  /** Below the smallest range a provider refused; growth stops here until it is probed again. */
  private ceiling: number;
  private successesSinceRefusal = 0;
  readonly maxRange: number;
  readonly maxLogsPerRange: number;

  constructor(private readonly options: FollowerOptions) {
    this.maxRange = options.maxRange ?? 2_000;
    this.maxLogsPerRange = options.maxLogsPerRange ?? 2_000;
    this.range = this.maxRange;
    this.ceiling = this.maxRange;
  }

  /** The current `eth_getLogs` range size (it adapts to what providers accept). */
  get currentRange(): number {
    return this.range;
  }

  /** Processes everything from the cursor up to the block a quorum of endpoints agrees on. */
  async step(): Promise<StepResult> {
    const { pool, store } = this.options;
    await pool.refresh();
    const target = pool.agreedHead?.number;
    const result: StepResult = { processed: 0, head: target, reorg: undefined };
    if (target === undefined) return result; // no quorum on a head: wait rather than act on a guess

    const reorg = await this.checkReorg(target);
    if (reorg !== undefined) result.reorg = reorg;

    let next = (store.cursor()?.number ?? this.options.startBlock - 1) + 1;
    while (next <= target) {
      const to = Math.min(next + this.range - 1, target);
      const fetched = await this.fetchRange(next, to);
      if (fetched === undefined) continue; // range shrank, or the chain moved under us: try again
      const findings = await this.options.onRange(fetched);
      store.advance(this.blocksOf(fetched), () => {
        for (const finding of findings) finding.id = store.addFinding(finding);
      });
      result.processed += to - next + 1;
      next = to + 1;
    }
    return result;
  }

  /**
   * Compares the cursor's hash with the chain; on a mismatch walks back to the common ancestor and rewinds. A chain
   * that reorganized onto a shorter branch (the agreed head `target` below the cursor, and no endpoint holding the
   * cursor's block) is a reorg too: it is found now, not once the new branch has grown past the cursor.
   */
  private async checkReorg(target: number): Promise<{ ancestor: number; retracted: number } | undefined> {
    const { store } = this.options;
    const cursor = store.cursor();
    if (cursor === undefined) return undefined;
    let current: BlockHead | undefined;
    try {
      current = await this.header(cursor.number);
    } catch (error) {
      if (cursor.number <= target) throw error;
    }
    if (current?.hash === cursor.hash) return undefined;

    const stored = store.blocksDownFrom(Math.min(cursor.number, target));
    for (const block of stored) {
      if ((await this.header(block.number)).hash === block.hash) {
        const retracted = store.rewind(block);
        await this.options.onReorg?.(block, retracted);
        return { ancestor: block.number, retracted: retracted.length };
      }
    }
    throw new ReorgTooDeepError(stored.at(-1)?.number ?? cursor.number);
  }

  /** Logs of [from, to] with the header of `to`, or undefined if the range must be retried. */
  private async fetchRange(from: number, to: number): Promise<BlockRange | undefined> {
    const { pool, addresses } = this.options;
    const before = await this.header(to);
    let raw: Record<string, string | string[] | boolean>[];
    try {
      raw = await pool.request("eth_getLogs", [
        { address: addresses, fromBlock: hexNumber(from), toBlock: hexNumber(to) },
      ]);
    } catch (error) {
      if (to === from) throw error;
      // The provider refused the range: halve it, and do not grow back to this size for a while.
      const span = to - from + 1;
      this.ceiling = Math.min(this.ceiling, span - 1);
      this.range = Math.max(1, Math.floor(span / 2));
      this.successesSinceRefusal = 0;
      return undefined;
    }
    const after = await this.header(to);
    if (after.hash !== before.hash) return undefined; // reorg while fetching
    const logs = raw.filter((l) => l.removed !== true).map(toLog);
    if (logs.some((l) => l.blockNumber === to && l.blockHash !== after.hash)) return undefined;
    // Grow back towards the largest size not refused; every 100 ranges, probe above it again (limits change). Never
    // beyond the size that would hold `maxLogsPerRange` logs at this range's density.
    if (++this.successesSinceRefusal % 100 === 0) this.ceiling = this.maxRange;
    const bySize = Math.floor(((to - from + 1) * this.maxLogsPerRange) / Math.max(1, raw.length));
    this.range = Math.max(1, Math.min(this.ceiling, this.range * 2, bySize));
    return { from, to, head: after, logs };
  }

  /** The blocks of a range the store remembers for reorg detection: those with logs, and the last one. */
  private blocksOf(range: BlockRange): StoredBlock[] {
    const blocks = new Map<number, StoredBlock>();
    for (const log of range.logs)
      blocks.set(log.blockNumber, { number: log.blockNumber, hash: log.blockHash, parentHash: "" });
    blocks.set(range.to, { number: range.to, hash: range.head.hash, parentHash: range.head.parentHash });
    return [...blocks.values()].sort((a, b) => a.number - b.number);
  }

  private async header(number: number): Promise<BlockHead> {
    const block = await this.options.pool.request("eth_getBlockByNumber", [hexNumber(number), false]);
    if (block === null) throw new CordonError(`no endpoint has block ${number} yet`, { retryable: true });
    return parseHead("pool", block);
  }
}
