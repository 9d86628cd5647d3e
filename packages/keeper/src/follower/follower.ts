/**
 * Follows one chain from a durable cursor: catches up in batched `eth_getLogs` ranges that shrink when a provider
 * refuses a range or returns more logs than a range should hold, and grow back after, detects reorgs by comparing
 * stored block hashes with the hashes a quorum of endpoints serves, retracts the findings of reorged blocks and
 * processes the new ones. No block is skipped and none is processed twice: a range's findings are stored in the same
 * transaction that moves the cursor past it, and only once its logs are confirmed ({@link LogChecker}: agreed by a
 * quorum of endpoints or proven by the blocks' receipts, the newest blocks checked against their headers' blooms).
 */
import { CordonError } from "../errors.js";
import type { BlockHead } from "../rpc/endpoint.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Finding } from "../domain/types.js";
import type { Store, StoredBlock } from "../store/store.js";
import { type Log, LogChecker, LogsNotConfirmedError, RangeMovedError } from "./logs.js";

export { type Log, toLog } from "./logs.js";

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
   * have (often 10,000 logs). Default 1,000 (each range is asked of a quorum: its answers are compared).
   */
  maxLogsPerRange?: number;
  /** Turns a range into findings; they are stored atomically with the cursor move. */
  onRange: (range: BlockRange) => Promise<Finding[]> | Finding[];
  /** Told about a reorg after the store has rewound to `ancestor` and retracted `retracted`. */
  onReorg?: (ancestor: StoredBlock, retracted: Finding[]) => Promise<void> | void;
  /** How many of the newest blocks have their logs checked against their headers' blooms. Default 256. */
  bloomDepth?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
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
  readonly logs: LogChecker;

  constructor(private readonly options: FollowerOptions) {
    this.logs = new LogChecker({
      pool: options.pool,
      addresses: options.addresses,
      bloomDepth: options.bloomDepth,
      log: options.log,
    });
    this.maxRange = options.maxRange ?? 2_000;
    this.maxLogsPerRange = options.maxLogsPerRange ?? 1_000;
    // Start small and double: the first range of a catch-up must not hold ten times the logs a range should.
    this.range = Math.min(this.maxRange, 64);
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
      const fetched = await this.fetchRange(next, to, target);
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
   * Compares the cursor's hash with the one a quorum serves; on a mismatch walks back to the common ancestor and
   * rewinds. A chain that reorganized onto a shorter branch (the agreed head `target` below the cursor, and no quorum
   * serving the cursor's block) is a reorg too: it is found now, not once the new branch has grown past the cursor.
   * One endpoint's hash decides nothing: a lone endpoint claiming another block cannot make the follower retract.
   */
  private async checkReorg(target: number): Promise<{ ancestor: number; retracted: number } | undefined> {
    const { store, pool } = this.options;
    const cursor = store.cursor();
    if (cursor === undefined) return undefined;
    const current = await pool.agreedHash(cursor.number);
    if (current === undefined && cursor.number <= target) {
      throw new CordonError(`no quorum of endpoints serves one hash for block ${cursor.number}, the cursor`, {
        retryable: true,
      });
    }
    if (current === cursor.hash.toLowerCase()) return undefined;

    const stored = store.blocksDownFrom(Math.min(cursor.number, target));
    for (const block of stored) {
      if ((await pool.agreedHash(block.number)) === block.hash.toLowerCase()) {
        const retracted = store.rewind(block);
        await this.options.onReorg?.(block, retracted);
        return { ancestor: block.number, retracted: retracted.length };
      }
    }
    throw new ReorgTooDeepError(stored.at(-1)?.number ?? cursor.number);
  }

  /** Confirmed logs of [from, to] with the header of `to`, or undefined if the range must be retried. */
  private async fetchRange(from: number, to: number, target: number): Promise<BlockRange | undefined> {
    const { pool } = this.options;
    // The hash of `to` a quorum serves is asked for alongside the logs (a catch-up waits for neither before the other).
    const agreed = pool.agreedHead?.number === to ? Promise.resolve(pool.agreedHead) : pool.agreedBlock(to);
    const anchor = agreed.then((head) => {
      if (head === undefined) {
        throw new LogsNotConfirmedError(from, to, `no quorum of endpoints serves one hash for block ${to}`);
      }
      return head.hash.toLowerCase();
    });
    anchor.catch(() => {}); // awaited in the log check, which throws it
    let logs: Log[];
    let rawCount: number;
    try {
      ({ logs } = await this.logs.logs(from, to, anchor, target));
      rawCount = logs.length;
    } catch (error) {
      if (error instanceof RangeMovedError) return undefined; // reorg while fetching
      if (error instanceof LogsNotConfirmedError || to === from) throw error;
      // The providers refused the range: halve it, and do not grow back to this size for a while.
      const span = to - from + 1;
      this.ceiling = Math.min(this.ceiling, span - 1);
      this.range = Math.max(1, Math.floor(span / 2));
      this.successesSinceRefusal = 0;
      return undefined;
    }
    const head = (await agreed)!;
    const hash = head.hash.toLowerCase();
    if (logs.some((l) => l.blockNumber === to && l.blockHash !== hash)) return undefined; // reorg while fetching
    // Grow back towards the largest size not refused; every 100 ranges, probe above it again (limits change). Never
    // beyond the size that would hold `maxLogsPerRange` logs at this range's density.
    if (++this.successesSinceRefusal % 100 === 0) this.ceiling = this.maxRange;
    const bySize = Math.floor(((to - from + 1) * this.maxLogsPerRange) / Math.max(1, rawCount));
    this.range = Math.max(1, Math.min(this.ceiling, this.range * 2, bySize));
    return { from, to, head, logs };
  }

  /** The blocks of a range the store remembers for reorg detection: those with logs, and the last one. */
  private blocksOf(range: BlockRange): StoredBlock[] {
    const blocks = new Map<number, StoredBlock>();
    for (const log of range.logs)
      blocks.set(log.blockNumber, { number: log.blockNumber, hash: log.blockHash, parentHash: "" });
    blocks.set(range.to, { number: range.to, hash: range.head.hash, parentHash: range.head.parentHash });
    return [...blocks.values()].sort((a, b) => a.number - b.number);
  }
}
