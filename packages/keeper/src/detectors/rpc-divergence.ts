/**
 * RPC divergence: endpoints the pool has taken out of rotation for lagging behind their peers or for answering
 * differently from a quorum (another block hash, other state). The pool already routes around them; this makes it
 * visible, since a provider that lies or falls behind is a risk to the keeper (and maybe a sign of an attack on it).
 * Runs on the watcher's tick (`poll`): one finding per episode per endpoint, and an info finding when it is healthy
 * again.
 */
import type { EndpointStatus } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import type { Detector, DetectorFinding, PollContext } from "./types.js";

export interface RpcDivergenceOptions {
  name?: string;
  severity?: Severity;
}

const BAD: ReadonlySet<EndpointStatus> = new Set(["diverging", "lagging"]);

export function rpcDivergenceDetector(options: RpcDivergenceOptions = {}): Detector {
  const name = options.name ?? "rpc-divergence";
  /** Endpoints in an episode, with the status that opened it. */
  const open = new Map<string, EndpointStatus>();
  return {
    name,
    evaluate: () => [],
    poll({ pool, head }: PollContext): DetectorFinding[] {
      const findings: DetectorFinding[] = [];
      const reference = pool.referenceHead;
      const at = { blockNumber: head?.number ?? reference ?? 0, blockHash: head?.hash ?? "", detector: name };
      for (const e of pool.health()) {
        const figures = { endpoint: e.name, status: e.status, head: e.head, referenceHead: reference, lag: e.lag };
        // One block ahead is a node that heard of a block first; further ahead than a lagging node may fall behind is
        // a claim worth an alert.
        const bad = BAD.has(e.status) || (e.status === "ahead" && (e.lag ?? 0) < -pool.maxLagBlocks);
        if (bad && !open.has(e.name)) {
          open.set(e.name, e.status);
          findings.push({
            ...at,
            severity: options.severity ?? "medium",
            summary: `endpoint ${e.name} is ${e.status}: its head is ${e.head ?? "unknown"}, the reference head ${reference ?? "unknown"}; ${e.reason}`,
            data: { kind: e.status, ...figures, reason: e.reason },
          });
        } else if (e.status === "healthy" && open.has(e.name)) {
          const was = open.get(e.name);
          open.delete(e.name);
          findings.push({
            ...at,
            severity: "info",
            summary: `endpoint ${e.name} is healthy again (it was ${was}): its head is ${e.head}, the reference head ${reference ?? "unknown"}`,
            data: { kind: "recovered", was, ...figures },
          });
        }
      }
      return findings;
    },
  };
}
