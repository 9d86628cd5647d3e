/**
 * Judges a simulated pending transaction with the same detectors that judge mined blocks, decides whether its
 * findings may act before the transaction is mined (the budget below), and prices a pause to be ordered before it.
 * Detectors that judge logs get the simulated logs; detectors that read state (tvl, invariant, oracle, `view`) read
 * the state after the transaction, agreed by a quorum of traces (`post-state.ts`), traced only if one of them asks.
 * A detector that still fails (no quorum on the post-state, a read that cannot be served before the block exists) is
 * left out of this transaction's judgement, logged (`pending-unjudged`) and counted (`unjudged`).
 *
 * A pending judgement feeds a detector's history as a block would (a tvl detector's samples, a view detector's
 * readings, dated in the next block, which the mined block then replaces): give the stage its own detector instances,
 * built from the same config, rather than those of the watcher.
 *
 * The rule against abuse. Anyone can send pending transactions that look like exploits and never land (they are
 * replaced, or their sender's nonce is spent elsewhere), to make the keeper pause the protocol again and again. So:
 * - only a finding at or above `minSeverity` (default critical) acts from the mempool; lesser ones wait for the block;
 * - at most `maxActions` pending-triggered actions per `windowMs` (default one per hour); past that, the pending path
 *   only reports, and the ordinary path still pauses within a block of a mined exploit;
 * - and a pause a guardian key sends is bounded by the hub anyway (its duration, then a cooldown), so a lure that
 *   never lands costs the protocol at most one bounded guardian pause per window, which governance can lift.
 */
import type { Detector, DetectorFinding } from "../detectors/types.js";
import { type Severity, severityRank } from "../domain/types.js";
import type { BlockHead } from "../rpc/endpoint.js";
import type { RpcPool } from "../rpc/pool.js";
import type { PendingTx } from "./pending.js";
import { pendingStateView, type PostState, tracePostState } from "./post-state.js";
import type { Simulation } from "./simulate.js";

export interface JudgeOptions {
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** Incremented once per detector that could not judge the transaction. */
  counts?: { unjudged: number };
  /** Where the post-state comes from. Default: {@link tracePostState} (a quorum of diff-mode prestate traces). */
  postState?: (pool: RpcPool, tx: PendingTx, onBlock: number) => Promise<PostState | undefined>;
}

/**
 * Runs every detector's `evaluate` over a one-block range holding the simulated logs, dated in the block after
 * `head`, with a pool whose reads pinned to that block see the state after the transaction ({@link pendingStateView}).
 * Each finding carries `pending: true` and the transaction's hash. A detector that fails is left out, logged and
 * counted (see this file's header).
 */
export async function judgePending(
  detectors: readonly Detector[],
  pool: RpcPool,
  tx: PendingTx,
  simulation: Simulation,
  head: BlockHead,
  options: JudgeOptions = {},
): Promise<DetectorFinding[]> {
  const block = simulation.onBlock + 1;
  const pendingHead = {
    number: block,
    hash: simulation.logs[0]?.blockHash ?? `0x${"0".repeat(64)}`,
    parentHash: head.hash,
    timestamp: head.timestamp,
  };
  const range = { from: block, to: block, head: pendingHead, logs: simulation.logs };
  const trace = options.postState ?? tracePostState;
  const view = pendingStateView(pool, {
    pendingBlock: block,
    head: pendingHead,
    postState: () => trace(pool, tx, simulation.onBlock),
  });
  const findings: DetectorFinding[] = [];
  for (const detector of detectors) {
    try {
      for (const finding of await detector.evaluate({ pool: view, range })) {
        findings.push({
          ...finding,
          data: { ...finding.data, pending: true, tx: tx.hash, from: tx.from, firstSeenMs: tx.firstSeenMs },
        });
      }
    } catch (error) {
      if (options.counts !== undefined) options.counts.unjudged++;
      options.log?.("pending-unjudged", {
        tx: tx.hash,
        detector: detector.name,
        error: (error as Error).message.split("\n")[0],
      });
    }
  }
  return findings;
}

export interface PendingBudgetOptions {
  /** The least severity a pending finding needs to act. Default "critical". */
  minSeverity?: Severity;
  /** Pending-triggered actions allowed per window. Default 1. */
  maxActions?: number;
  /** The window, ms. Default one hour. */
  windowMs?: number;
}

/** The budget of pending-triggered actions (see the rule in this file's header). */
export class PendingBudget {
  private readonly minSeverity: Severity;
  private readonly maxActions: number;
  private readonly windowMs: number;
  private readonly spent: number[] = [];

  constructor(options: PendingBudgetOptions = {}) {
    this.minSeverity = options.minSeverity ?? "critical";
    this.maxActions = options.maxActions ?? 1;
    this.windowMs = options.windowMs ?? 3_600_000;
  }

  /** Whether `finding` may act now; if so, it is counted. `why` says what refused it. */
  take(finding: DetectorFinding, now: number): { ok: true } | { ok: false; why: string } {
    if (severityRank(finding.severity) < severityRank(this.minSeverity)) {
      return {
        ok: false,
        why: `a ${finding.severity} finding acts once mined; from the mempool only ${this.minSeverity}`,
      };
    }
    while (this.spent.length > 0 && this.spent[0]! <= now - this.windowMs) this.spent.shift();
    if (this.spent.length >= this.maxActions) {
      const again = new Date(this.spent[0]! + this.windowMs).toISOString();
      return {
        ok: false,
        why: `${this.maxActions} pending-triggered action(s) in the window already; next at ${again}`,
      };
    }
    this.spent.push(now);
    return { ok: true };
  }
}

/** One gwei: the least a front-running tip adds to the exploit's. */
const GWEI = 1_000_000_000n;

/**
 * Fees for a pause to be ordered before `exploit` in the same block: a priority fee above the exploit's (by an eighth,
 * at least one gwei), a max fee that covers it over the base fee (twice the base fee plus the tip, at least the
 * exploit's), all within `ceiling`. `outbids` is false when the ceiling does not leave room to outbid: the pause is
 * still sent, and the ordinary path pauses within a block if the exploit lands first.
 */
export function frontRunFees(
  exploit: Pick<PendingTx, "maxFeePerGas" | "maxPriorityFeePerGas">,
  baseFee: bigint,
  ceiling: bigint,
): { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; outbids: boolean } {
  const raise = exploit.maxPriorityFeePerGas / 8n > GWEI ? exploit.maxPriorityFeePerGas / 8n : GWEI;
  let tip = exploit.maxPriorityFeePerGas + raise;
  let maxFee = 2n * baseFee + tip;
  if (maxFee < exploit.maxFeePerGas + raise) maxFee = exploit.maxFeePerGas + raise;
  if (maxFee > ceiling) maxFee = ceiling;
  if (tip > maxFee - baseFee) tip = maxFee > baseFee ? maxFee - baseFee : 0n;
  // The effective tip decides the order: min(tip, maxFee - baseFee) against the exploit's.
  const exploitTip =
    exploit.maxFeePerGas - baseFee < exploit.maxPriorityFeePerGas
      ? exploit.maxFeePerGas - baseFee
      : exploit.maxPriorityFeePerGas;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip, outbids: tip > exploitTip };
}
