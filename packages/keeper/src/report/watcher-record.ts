/**
 * What the watcher's store adds to the chain's record: when an incident's anomaly started (the block of the first
 * finding that led to it) and when it was detected (when that finding was stored), and which outbox action sent the
 * pause. The chain stays the source of truth for everything else; this only reads the store.
 */
import type { Finding, Severity } from "../domain/types.js";
import type { OutboxEntry, Store } from "../store/store.js";
import type { Incident } from "./history.js";

export interface WatcherEvidence {
  incidentId: number;
  /** The first live finding at or below the pause block, after the previous incident (within `lookbackBlocks`). */
  finding: Finding & { id: number; createdAt: number };
  /** The outbox action whose transaction is the incident's pause, when the watcher sent it. */
  action: OutboxEntry | undefined;
}

export interface EvidenceOptions {
  /** How far before the pause block a finding may be and still count as the incident's. Default 300 blocks. */
  lookbackBlocks?: number;
  /** Findings below this severity are ignored. Default "low" (only "info" is ignored). */
  minSeverity?: Severity;
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Finds, for each incident with a pause block, the finding that led to it and the action that paused it. */
export function evidenceFromStore(
  store: Store,
  incidents: Incident[],
  options: EvidenceOptions = {},
): Map<number, WatcherEvidence> {
  const lookback = options.lookbackBlocks ?? 300;
  const min = RANK[options.minSeverity ?? "low"];
  const out = new Map<number, WatcherEvidence>();
  // Findings up to the previous incident's pause belong to it; those in the block that closed it may start this one
  // (the hub closes an incident lazily, often in the transaction that opens the next).
  let floor = 0;
  for (const incident of [...incidents].sort((a, b) => a.pausedAt.time - b.pausedAt.time)) {
    const pauseBlock = incident.pausedAt.block;
    if (pauseBlock === undefined) continue;
    const from = Math.max(floor, pauseBlock - lookback);
    const finding = store.findingsInBlocks(from, pauseBlock).find((f) => RANK[f.severity] >= min);
    if (finding !== undefined) {
      out.set(incident.id, { incidentId: incident.id, finding, action: store.outboxEntryByTx(incident.pauseTx) });
    }
    floor = Math.max(pauseBlock + 1, incident.closedAt?.block ?? 0);
  }
  return out;
}

/**
 * Dates each incident's anomaly and detection from its evidence. `blockTimes` holds the time of each finding's block.
 * A watcher detection earlier than an on-chain trip replaces it (the watcher saw it first).
 */
export function applyEvidence(
  incidents: Incident[],
  evidence: Map<number, WatcherEvidence>,
  blockTimes: Map<number, number>,
): void {
  for (const incident of incidents) {
    const e = evidence.get(incident.id);
    const time = e === undefined ? undefined : blockTimes.get(e.finding.blockNumber);
    if (e === undefined || time === undefined) continue;
    incident.anomalyAt = { time, block: e.finding.blockNumber };
    const detected = e.finding.createdAt / 1000;
    if (incident.detectedAt === undefined || detected < incident.detectedAt.time) {
      incident.detectedAt = { time: detected };
      incident.detection = { source: "watcher", detector: e.finding.detector, summary: e.finding.summary };
      if (e.action !== undefined) incident.detection.actionKey = e.action.key;
    }
  }
}
