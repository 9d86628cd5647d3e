/**
 * The keeper's domain types: what a detector reports and how grave it is. Detectors, the responder, alerts and the
 * plug-in API depend on these; the store maps them to its rows (`store/store.ts`), not the other way round.
 */

/** How grave a finding is, lowest first. */
export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A severity's rank: 0 for info ... 4 for critical. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** What a detector saw in one block. */
export interface Finding {
  /** The store's id, once stored. */
  id?: number;
  blockNumber: number;
  blockHash: string;
  detector: string;
  severity: Severity;
  /** What the detector saw, in words. */
  summary: string;
  data: Record<string, unknown>;
  /** Set by the store when a reorg took the finding's block. */
  retracted?: boolean;
  /** The action the finding asks for (JSON), kept until it has been handled so a crash cannot lose it. */
  response?: Record<string, unknown>;
}
