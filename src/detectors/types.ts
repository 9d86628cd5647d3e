import type { BlockRange } from "../follower/follower.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Finding } from "../store/store.js";

/** What a finding asks the responder to do. */
export type Response =
  | { kind: "pause"; reason: number }
  | { kind: "pauseScopes"; scopes: bigint; reason: number }
  | { kind: "tripOnInvariant"; target: string };

/** A finding with the response it asks for (if any). */
export interface DetectorFinding extends Finding {
  response?: Response;
}

export interface DetectorContext {
  pool: RpcPool;
  range: BlockRange;
}

/**
 * The plug-in interface: a detector looks at each processed range and reports findings. Teams add their own by
 * exporting an object of this shape from a TypeScript module.
 */
export interface Detector {
  /** Unique within a config; appears in findings, logs and metrics. */
  readonly name: string;
  evaluate(context: DetectorContext): Promise<DetectorFinding[]> | DetectorFinding[];
  /** Forget state about blocks above `ancestor` (they were reorged out). */
  onReorg?(ancestor: number): void;
}
