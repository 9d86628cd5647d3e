/**
 * The keeper's Prometheus metrics (prom-client, on a registry of its own so several keepers can share a process in
 * tests): lag behind the reference head per endpoint, endpoint health and latency, blocks processed, findings,
 * actions and their latency from decision to receipt, alerts, reorgs and tick errors, the mempool stage's pending
 * transactions by stage and its reaction time, plus the process defaults.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import type { MempoolCounts } from "../mempool/stage.js";
import type { EndpointHealth } from "../rpc/pool.js";
import type { TickResult } from "../watcher/watcher.js";

export class KeeperMetrics {
  readonly registry = new Registry();
  readonly endpointLag = new Gauge({
    name: "cordon_endpoint_lag_blocks",
    help: "Blocks an endpoint is behind the reference head (the highest head a quorum of endpoints reached)",
    labelNames: ["network", "endpoint"] as const,
    registers: [this.registry],
  });
  readonly endpointStatus = new Gauge({
    name: "cordon_endpoint_status",
    help: "1 on the endpoint's current status (healthy = in rotation; disputed = in rotation, asked last, after a contradicted answer; down, lagging, ahead of the quorum, diverging, rate-limited = out)",
    labelNames: ["network", "endpoint", "status"] as const,
    registers: [this.registry],
  });
  readonly endpointDisputes = new Gauge({
    name: "cordon_endpoint_disputes",
    help: "Answers of an endpoint that a quorum or a proof contradicted in this run (omitted logs, a false simulation, a lie a proof exposed)",
    labelNames: ["network", "endpoint"] as const,
    registers: [this.registry],
  });
  readonly endpointLatency = new Gauge({
    name: "cordon_endpoint_latency_seconds",
    help: "Moving average latency of an endpoint's successful requests",
    labelNames: ["network", "endpoint"] as const,
    registers: [this.registry],
  });
  readonly headBlock = new Gauge({
    name: "cordon_head_block",
    help: "The newest block a quorum of endpoints agrees on",
    labelNames: ["network"] as const,
    registers: [this.registry],
  });
  readonly cursorBlock = new Gauge({
    name: "cordon_cursor_block",
    help: "The last block the watcher processed",
    labelNames: ["network"] as const,
    registers: [this.registry],
  });
  readonly blocksProcessed = new Counter({
    name: "cordon_blocks_processed_total",
    help: "Blocks processed",
    labelNames: ["network"] as const,
    registers: [this.registry],
  });
  readonly findings = new Counter({
    name: "cordon_findings_total",
    help: "Findings by detector and severity",
    labelNames: ["network", "detector", "severity"] as const,
    registers: [this.registry],
  });
  readonly actions = new Counter({
    name: "cordon_actions_total",
    help: "Responder actions by outcome (mined, skipped, failed)",
    labelNames: ["network", "status"] as const,
    registers: [this.registry],
  });
  readonly actionLatency = new Histogram({
    name: "cordon_action_latency_seconds",
    help: "From the decision to act to the receipt of the transaction that acted",
    labelNames: ["network"] as const,
    buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
    registers: [this.registry],
  });
  readonly reorgs = new Counter({
    name: "cordon_reorgs_total",
    help: "Reorgs detected",
    labelNames: ["network"] as const,
    registers: [this.registry],
  });
  readonly tickErrors = new Counter({
    name: "cordon_tick_errors_total",
    help: "Ticks that failed (and were retried)",
    labelNames: ["network"] as const,
    registers: [this.registry],
  });
  readonly alerts = new Counter({
    name: "cordon_alerts_total",
    help: "Alerts by channel and outcome (sent, failed, summarized)",
    labelNames: ["channel", "outcome"] as const,
    registers: [this.registry],
  });

  readonly mempoolTransactions = new Counter({
    name: "cordon_mempool_transactions_total",
    help: "Pending transactions by what the mempool stage did with them (seen, simulated, flagged, acted, refused by the budget, dropped from the backlog, skipped as plain transfers to addresses without code, forged: flagged but their signature did not check out, unjudged: detectors that could not judge one)",
    labelNames: ["network", "protocol", "stage"] as const,
    registers: [this.registry],
  });
  readonly mempoolReaction = new Histogram({
    name: "cordon_mempool_reaction_seconds",
    help: "From a pending transaction's first sight to the broadcast of the action its simulation called for",
    labelNames: ["network", "protocol"] as const,
    buckets: [0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 4],
    registers: [this.registry],
  });
  private readonly mempoolSeen = new Map<string, MempoolCounts>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "cordon_" });
  }

  /** Records one tick of a network's watcher. */
  observeTick(network: string, result: TickResult, health: EndpointHealth[], cursor: number | undefined): void {
    this.observeHealth(network, health);
    if (result.head !== undefined) this.headBlock.set({ network }, result.head);
    if (cursor !== undefined) this.cursorBlock.set({ network }, cursor);
    this.blocksProcessed.inc({ network }, result.processed);
    if (result.reorg !== undefined) this.reorgs.inc({ network });
    for (const f of result.findings) this.findings.inc({ network, detector: f.detector, severity: f.severity });
    for (const a of result.actions) this.actions.inc({ network, status: a.status });
  }

  observeHealth(network: string, health: EndpointHealth[]): void {
    for (const e of health) {
      if (e.lag !== undefined) this.endpointLag.set({ network, endpoint: e.name }, e.lag);
      for (const status of [
        "healthy",
        "down",
        "lagging",
        "ahead",
        "diverging",
        "disputed",
        "rate-limited",
        "unknown",
      ]) {
        this.endpointStatus.set({ network, endpoint: e.name, status }, e.status === status ? 1 : 0);
      }
      this.endpointLatency.set({ network, endpoint: e.name }, e.latencyMs / 1000);
      this.endpointDisputes.set({ network, endpoint: e.name }, e.disputes);
    }
  }

  /** Records what a protocol's mempool stage has counted since the last call (its counts only grow). */
  observeMempool(network: string, protocol: string, counts: MempoolCounts): void {
    const key = `${network}:${protocol}`;
    const before = this.mempoolSeen.get(key);
    for (const [stage, value] of Object.entries(counts) as [keyof MempoolCounts, number][]) {
      const delta = value - (before?.[stage] ?? 0);
      // Every stage is exported from the start, at 0 until something happens there.
      if (delta > 0 || before === undefined) this.mempoolTransactions.inc({ network, protocol, stage }, delta);
    }
    this.mempoolSeen.set(key, { ...counts });
  }
}
