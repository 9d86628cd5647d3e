/**
 * The detector plug-in interface: what the watcher asks of every detector, built-in or a team's own. See
 * `src/detectors/README.md` for a complete example.
 */
import type { BlockRange } from "../follower/follower.js";
import type { BlockHead } from "../rpc/endpoint.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Finding } from "../domain/types.js";

/**
 * A pause that follows a trip of the breaker: the hub being paused by the trip does not make it done. `expiry` is the
 * end (unix seconds) the trip gave its episode; the pause is done once a pause since has moved that end (a guardian
 * pause lasts its own full duration in an episode a trip started), or governance holds what it would pause.
 */
export interface AfterTrip {
  expiry: number;
}

/**
 * What says a `call` response's goal is reached: a view call (`data` to `target`) whose return data equals
 * `equals` (ABI-encoded, lowercase hex). `description` says it in words (`paused() == true`).
 */
export interface DoneCheck {
  target: string;
  data: string;
  equals: string;
  description: string;
}

/** What a finding asks the responder to do. */
export type Response =
  | { kind: "pause"; reason: number; afterTrip?: AfterTrip }
  | { kind: "pauseScopes"; scopes: bigint; reason: number; afterTrip?: AfterTrip }
  | { kind: "tripOnInvariant"; target: string }
  /**
   * A transaction to any contract (`data` to `target`; `description` names it, e.g. `setPoolPause(true)`), skipped
   * only when its `done` check holds for a quorum and a proof.
   */
  | { kind: "call"; target: string; data: string; description: string; done?: DoneCheck };

/** A finding with the response it asks for (if any). */
export interface DetectorFinding extends Finding {
  response?: Response;
}

/** What `evaluate` sees: one processed range of blocks. */
export interface DetectorContext {
  pool: RpcPool;
  range: BlockRange;
}

/** What `poll` sees: the moment of one watcher tick, whether or not the chain moved. */
export interface PollContext {
  pool: RpcPool;
  /** Wall-clock time of the tick, ms since epoch. */
  now: number;
  /** The newest block a quorum of endpoints agrees on (`pool.agreedHead`); undefined without a quorum. */
  head: BlockHead | undefined;
}

/**
 * The plug-in interface. A detector is a plain object; teams add their own by exporting a factory that returns one.
 *
 * - `evaluate` runs once per processed range of blocks, in chain order, with the logs of the contracts the watcher
 *   follows (its `addresses` and every detector's `addresses`). Its findings are stored in the same transaction that
 *   moves the cursor past the range, so a range is never evaluated twice, even across a crash.
 * - `poll` (optional) runs once per watcher tick after the follower's step, even when no new block arrived: for what
 *   cannot be seen in logs (a halted chain, a misbehaving endpoint). Its findings are stored at once.
 * - `onReorg` (optional) is told the common ancestor after a reorg: forget state about blocks above it. Findings of
 *   those blocks are retracted by the store.
 *
 * Each finding has a severity; a finding at or above the watcher's response threshold (default "high") that carries
 * a `response` is acted on by the responder. Read state through `pool.quorumRead`, pinned to a block number, so one
 * lying endpoint cannot create or hide a finding.
 */
export interface Detector {
  /** Unique within a config; appears in findings, logs and metrics. */
  readonly name: string;
  /** The contracts whose logs `evaluate` needs; the watcher follows them in addition to its own list. */
  readonly addresses?: string[];
  evaluate(context: DetectorContext): Promise<DetectorFinding[]> | DetectorFinding[];
  /** Called once per watcher tick, after the follower's step. */
  poll?(context: PollContext): Promise<DetectorFinding[]> | DetectorFinding[];
  /** Forget state about blocks above `ancestor` (they were reorged out). */
  onReorg?(ancestor: number): void;
}
