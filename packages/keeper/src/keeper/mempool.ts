/**
 * A protocol's mempool stage inside the keeper service (`protocols.<name>.mempool` in the config): the pending
 * transactions that reach the protocol are simulated and judged by the protocol's own detectors (`mempool/`), and a
 * finding the budget lets act is acted on at once by the finding's responder, with fees that order its pause before
 * the pending exploit. A replaced exploit (same sender and nonce, higher fee) hands on higher fees, and the responder
 * replaces its pause in flight. The ordinary path goes on: the mined block's finding of the same exploit joins the
 * same action, or is skipped once the hub is paused.
 *
 * What a pending finding decides rests on a quorum as everywhere else: the simulation counts only when a quorum of
 * traces agrees, the responder still reads the hub from a quorum (and a proof) before it acts, and the budget (see
 * `mempool/judge.ts`) bounds what lures that never land can make it do.
 */
import { parseUnits } from "ethers/utils";

import type { ResolvedProtocol } from "../config/load.js";
import { severityRank } from "../domain/types.js";
import type { Detector, DetectorFinding } from "../detectors/types.js";
import { PendingBudget } from "../mempool/judge.js";
import type { PendingTx } from "../mempool/pending.js";
import { MempoolStage } from "../mempool/stage.js";
import type { KeeperMetrics } from "../ops/metrics.js";
import type { Logger } from "../ops/logger.js";
import type { ActionOutcome, Responder } from "../responder/responder.js";
import type { RpcPool } from "../rpc/pool.js";

/** The fee ceiling of a protocol without an action of its own (the action kinds' default emergency ceiling). */
const DEFAULT_EMERGENCY_CEILING_GWEI = 2000;
const HOUR_MS = 3_600_000;

export interface ProtocolMempoolOptions {
  network: string;
  protocol: ResolvedProtocol;
  pool: RpcPool;
  /** The protocol's detectors that act, built for the stage (not the watcher's instances). */
  detectors: Detector[];
  /** The keeper's own addresses: their pending transactions (its pauses) are not judged. */
  keepers: string[];
  /** Opens (or joins) the protocol's incident for a finding and returns its responder. */
  choose: (finding: DetectorFinding) => Responder | undefined;
  /** Records a taken action in the incident, logs and alerts on it (as the watcher's are). */
  report: (finding: DetectorFinding, outcome: ActionOutcome) => Promise<void>;
  metrics: KeeperMetrics;
  log: Logger;
  /** How often the agreed head's base fee is looked at. Default 100 ms. */
  headIntervalMs?: number;
}

export class ProtocolMempool {
  readonly stage: MempoolStage;
  readonly protocol: string;
  private head:
    { number: number; hash: string; parentHash: string; timestamp: number; baseFeePerGas: bigint } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly actions = new Set<Promise<void>>();

  constructor(private readonly options: ProtocolMempoolOptions) {
    const { protocol, pool, log } = options;
    this.protocol = protocol.name;
    const config = protocol.mempool!;
    const addresses = new Set<string>();
    const own = new Set<string>(Object.values(protocol.contracts).map((a) => a.toLowerCase()));
    if (protocol.hub !== undefined) own.add(protocol.hub.toLowerCase());
    for (const d of protocol.detectors) for (const a of Object.values(d.addresses)) addresses.add(a.toLowerCase());
    for (const a of own) addresses.add(a);
    const action = protocol.detectors.find((d) => d.action !== undefined)?.action;
    // The hub's permissionless trip checks the invariant when it runs: ordered before the exploit, it would find the
    // invariant holding and revert. From the mempool, a trip finding pauses with the protocol's pause action instead
    // (the guardian key's pause); a protocol without one waits for the block.
    const pause = protocol.detectors
      .map((d) => d.action?.response)
      .find((r) => r !== undefined && (r.kind === "pause" || r.kind === "pauseScopes"));
    this.stage = new MempoolStage({
      pool,
      detectors: options.detectors,
      addresses: [...addresses],
      priority: [...own],
      head: () => this.head,
      feeCeiling: parseUnits(String(action?.emergencyFeeCeilingGwei ?? DEFAULT_EMERGENCY_CEILING_GWEI), "gwei"),
      budget: new PendingBudget({
        minSeverity: config.minSeverity,
        maxActions: config.maxActionsPerHour,
        windowMs: HOUR_MS,
      }),
      pollIntervalMs: config.pollIntervalMs,
      ignoreFrom: options.keepers,
      pendingResponse: (finding) => (finding.response?.kind === "tripOnInvariant" ? pause : finding.response),
      concurrency: config.concurrency,
      onFinding: (finding, tx) =>
        log[severityRank(finding.severity) >= severityRank("high") ? "warn" : "info"](
          {
            event: "pending-finding",
            protocol: protocol.name,
            detector: finding.detector,
            severity: finding.severity,
            tx: tx.hash,
            from: tx.from,
            data: finding.data,
          },
          `pending ${tx.hash}: ${finding.summary}`,
        ),
      // Not awaited: a simulation slot is not held while the pause is mined.
      onAction: (finding, tx, fees) => this.track(this.act(finding, tx, fees)),
      log: (event, fields) => log.info({ event: `mempool-${event}`, protocol: protocol.name, ...fields }),
    });
  }

  start(): void {
    const tick = () => {
      void this.followHead().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.headIntervalMs ?? 100);
      });
    };
    this.timer = setTimeout(tick, 0);
    this.stage.start();
  }

  /** Stops watching; resolves once the actions under way have finished. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stage.stop();
    await Promise.all(this.actions);
  }

  private track(action: Promise<void>): void {
    this.actions.add(action);
    void action.finally(() => this.actions.delete(action));
  }

  /** The agreed head with its base fee: the block pending transactions are simulated on, and what fees start from. */
  private async followHead(): Promise<void> {
    const agreed = this.options.pool.agreedHead;
    if (agreed === undefined || agreed.hash === this.head?.hash) return;
    try {
      const block = await this.options.pool.request<{ hash: string; baseFeePerGas?: string } | null>(
        "eth_getBlockByHash",
        [agreed.hash, false],
      );
      // The base fee only prices the pause (never below the exploit's own fee); the block itself is the quorum's.
      if (block?.hash?.toLowerCase() !== agreed.hash.toLowerCase()) return;
      this.head = { ...agreed, baseFeePerGas: BigInt(block.baseFeePerGas ?? "0x0") };
    } catch {
      // the next look tries again
    }
  }

  private async act(
    finding: DetectorFinding,
    tx: PendingTx,
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  ): Promise<void> {
    const { network, protocol, metrics, log } = this.options;
    const responder = this.options.choose(finding);
    if (responder === undefined || finding.response === undefined) return;
    let first = true;
    try {
      const outcome = await responder.respond(
        finding.response,
        finding.severity,
        `${finding.summary} (pending ${tx.hash})`,
        undefined,
        {
          feeFloor: fees,
          onBroadcast: () => {
            if (!first) return;
            first = false;
            metrics.mempoolReaction.observe({ network, protocol: protocol.name }, (Date.now() - tx.firstSeenMs) / 1000);
          },
        },
      );
      await this.options.report(finding, outcome);
    } catch (error) {
      log.error(
        { event: "pending-action-error", protocol: protocol.name, tx: tx.hash, error: (error as Error).message },
        `could not act on pending ${tx.hash}; the mined block's finding acts as usual`,
      );
    }
  }
}
