/**
 * The mempool stage as one piece: pending transactions in (`PendingSource`), each simulated by a quorum of traces on
 * top of the agreed head (`simulatePending`), the simulations judged by the protocol's detectors (`judgePending`:
 * those that read state read the quorum-agreed state after the transaction; those that cannot judge it are counted
 * in `unjudged`), findings out, and the ones the budget lets act handed on with fees that order a pause first
 * (`frontRunFees`).
 *
 * Order of work: transactions that call one of the protocol's own contracts (`priority`) are simulated first; the
 * others (an exploit usually goes through a contract of its own) after them, at most `concurrency` simulations at a time, and a backlog
 * beyond `maxBacklog` drops its oldest indirect transactions (they are most likely mined or gone). A plain transfer
 * (no calldata) to an address a quorum says has no code reaches no contract and is not simulated; a transaction the
 * simulation shows never reaching a watched contract is dropped without judging.
 *
 * Before a finding acts, the transaction's signature is checked (`verifyPendingTx`): a transaction an endpoint
 * invented (someone else's account named as its sender) is counted as forged, its endpoint disputed, and nothing is
 * done. One the keeper's own keys sent is not judged at all (`ignoreFrom`).
 *
 * Replacements: an exploit sent again with the same sender and nonce and a higher fee is judged again; if the first
 * one acted, the action is handed on again with fees above the new one (the responder replaces its pause), without
 * spending the budget again.
 */
import type { Detector, DetectorFinding } from "../detectors/types.js";
import type { BlockHead } from "../rpc/endpoint.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";
import { frontRunFees, judgePending, PendingBudget } from "./judge.js";
import { type PendingTx, PendingSource, verifyPendingTx } from "./pending.js";
import { simulatePending } from "./simulate.js";

export interface FrontRunFees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  outbids: boolean;
}

export interface MempoolStageOptions {
  pool: RpcPool;
  detectors: readonly Detector[];
  /** The contracts the detectors watch: a simulation must reach one of them to be judged. */
  addresses: string[];
  /** The protocol's own contracts: a transaction calling one of them is simulated before any other. Default: `addresses`. */
  priority?: string[];
  /** The newest block a quorum of endpoints agrees on, with its base fee (undefined: none yet). */
  head: () => (BlockHead & { baseFeePerGas: bigint }) | undefined;
  /** The most a pause may bid per gas (the emergency ceiling). */
  feeCeiling: bigint;
  budget?: PendingBudget;
  pollIntervalMs?: number;
  /** Simulations at a time. Default 4. */
  concurrency?: number;
  /** Pending transactions waiting for a simulation, at most. Default 10,000. */
  maxBacklog?: number;
  /** Senders whose transactions are not judged: the keeper's own keys (its pause is not an exploit). */
  ignoreFrom?: string[];
  /**
   * What a pending finding does, if anything: default its own response. A response that cannot work before the
   * transaction is mined (the hub's permissionless trip reverts while the invariant still holds) is mapped to one
   * that can, or to undefined: the finding is then reported only, and spends nothing of the budget.
   */
  pendingResponse?: (finding: DetectorFinding) => DetectorFinding["response"];
  /** Every finding of a simulated transaction (for the record and alerts). */
  onFinding?: (finding: DetectorFinding, tx: PendingTx) => void;
  /** A finding the budget lets act, with the fees that order a pause before `tx`. */
  onAction: (finding: DetectorFinding, tx: PendingTx, fees: FrontRunFees) => void | Promise<void>;
  log?: (event: string, fields: Record<string, unknown>) => void;
  now?: () => number;
}

/** What the stage has done, for the metrics. */
export interface MempoolCounts {
  seen: number;
  simulated: number;
  flagged: number;
  acted: number;
  refused: number;
  dropped: number;
  /** Plain transfers to addresses without code (a quorum says so): they can reach no contract, so are not simulated. */
  skipped: number;
  /** Flagged transactions whose signature did not check out (an endpoint invented them): never acted on. */
  forged: number;
  /** Detectors that could not judge a simulated transaction (e.g. no quorum on its post-state), once per detector. */
  unjudged: number;
}

export class MempoolStage {
  readonly counts: MempoolCounts = {
    seen: 0,
    simulated: 0,
    flagged: 0,
    acted: 0,
    refused: 0,
    dropped: 0,
    skipped: 0,
    unjudged: 0,
    forged: 0,
  };
  /** Ms from a transaction's first sight to its action being handed on, one entry per action. */
  readonly reactionMs: number[] = [];
  /** Where that time went, per action: waiting for a simulation slot, simulating, judging. */
  readonly timings: { waitMs: number; simulateMs: number; judgeMs: number }[] = [];
  private readonly source: PendingSource;
  private readonly watched: Set<string>;
  private readonly priority: Set<string>;
  private readonly budget: PendingBudget;
  private readonly concurrency: number;
  private readonly maxBacklog: number;
  private readonly now: () => number;
  private readonly direct: PendingTx[] = [];
  private readonly indirect: PendingTx[] = [];
  private readonly acted = new Map<string, { tip: bigint; finding: DetectorFinding }>();
  private readonly best = new Map<string, bigint>();
  /** Addresses a quorum said had no code, at the head they were read at (an EOA can get code: EIP-7702). */
  private readonly codeless = new Map<string, number>();
  private readonly ignored: Set<string>;
  private busy = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly options: MempoolStageOptions) {
    this.watched = new Set(options.addresses.map((a) => a.toLowerCase()));
    this.priority = new Set((options.priority ?? options.addresses).map((a) => a.toLowerCase()));
    this.ignored = new Set((options.ignoreFrom ?? []).map((a) => a.toLowerCase()));
    this.budget = options.budget ?? new PendingBudget();
    this.concurrency = options.concurrency ?? 4;
    this.maxBacklog = options.maxBacklog ?? 10_000;
    this.now = options.now ?? Date.now;
    this.source = new PendingSource({
      pool: options.pool,
      addresses: options.addresses,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      onTransaction: (tx) => this.enqueue(tx),
      ...(options.log === undefined ? {} : { log: options.log }),
      now: this.now,
    });
  }

  start(): void {
    this.source.start();
  }

  stop(): void {
    this.source.stop();
  }

  /** Resolves once nothing waits for or is in a simulation. */
  async settled(): Promise<void> {
    if (this.busy === 0 && this.direct.length === 0 && this.indirect.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Takes a pending transaction (the source calls this; tests and benchmarks may too). */
  enqueue(tx: PendingTx): void {
    this.counts.seen++;
    if (this.ignored.has(tx.from)) return;
    const slot = `${tx.from}:${tx.nonce}`;
    const previous = this.best.get(slot);
    if (previous !== undefined && tx.maxPriorityFeePerGas <= previous) return; // not a higher-fee replacement
    this.best.set(slot, tx.maxPriorityFeePerGas);
    if (tx.to !== null && this.priority.has(tx.to)) this.direct.push(tx);
    else {
      this.indirect.push(tx);
      if (this.indirect.length > this.maxBacklog) {
        this.indirect.shift();
        this.counts.dropped++;
      }
    }
    this.pump();
  }

  private pump(): void {
    while (this.busy < this.concurrency) {
      const tx = this.direct.shift() ?? this.indirect.shift();
      if (tx === undefined) break;
      this.busy++;
      void this.handle(tx)
        .catch((error: unknown) => this.options.log?.("pending-failed", { tx: tx.hash, error: String(error) }))
        .finally(() => {
          this.busy--;
          this.pump();
          if (this.busy === 0 && this.direct.length === 0 && this.indirect.length === 0) {
            for (const resolve of this.idle.splice(0)) resolve();
          }
        });
    }
  }

  /** Whether a quorum of endpoints says `address` has no code at block `at` (asked once per address and block). */
  private async hasNoCode(address: string, at: number): Promise<boolean> {
    if (this.codeless.get(address) === at) return true;
    try {
      const { result } = await this.options.pool.quorumRead<string>("eth_getCode", [address, hexNumber(at)]);
      if (result !== "0x") return false;
      if (this.codeless.size > 100_000) this.codeless.clear();
      this.codeless.set(address, at);
      return true;
    } catch {
      return false; // no quorum: simulate it
    }
  }

  private async handle(tx: PendingTx): Promise<void> {
    const startedMs = this.now();
    const head = this.options.head();
    if (head === undefined) return;
    if (tx.input === "0x" && tx.to !== null && !this.watched.has(tx.to) && (await this.hasNoCode(tx.to, head.number))) {
      this.counts.skipped++;
      return;
    }
    const simulatingMs = this.now();
    const simulation = await simulatePending(this.options.pool, tx, head.number);
    if (simulation === undefined) return;
    const simulatedMs = this.now();
    this.counts.simulated++;
    if (!simulation.touched.some((a) => this.watched.has(a))) return;
    const findings = await judgePending(this.options.detectors, this.options.pool, tx, simulation, head, {
      counts: this.counts,
      log: this.options.log,
    });
    const slot = `${tx.from}:${tx.nonce}`;
    for (const finding of findings) {
      this.counts.flagged++;
      this.options.onFinding?.(finding, tx);
      const response = this.options.pendingResponse ? this.options.pendingResponse(finding) : finding.response;
      if (response === undefined) continue;
      const forged = verifyPendingTx(tx);
      if (forged !== undefined) {
        // One endpoint's invention, which would never land: it asks for nothing, and its endpoint is disputed.
        this.counts.forged++;
        this.options.pool.dispute(tx.seenBy, `pending ${tx.hash}: ${forged}`);
        this.options.log?.("pending-forged", { tx: tx.hash, endpoint: tx.seenBy, why: forged });
        break;
      }
      const replacing = this.acted.get(slot);
      if (replacing === undefined) {
        const allowed = this.budget.take(finding, this.now());
        if (!allowed.ok) {
          this.counts.refused++;
          this.options.log?.("pending-refused", { tx: tx.hash, detector: finding.detector, why: allowed.why });
          continue;
        }
      }
      const fees = frontRunFees(tx, head.baseFeePerGas, this.options.feeCeiling);
      this.acted.set(slot, { tip: tx.maxPriorityFeePerGas, finding });
      this.counts.acted++;
      this.reactionMs.push(this.now() - tx.firstSeenMs);
      this.timings.push({
        waitMs: startedMs - tx.firstSeenMs,
        simulateMs: simulatedMs - simulatingMs,
        judgeMs: this.now() - simulatedMs,
      });
      this.options.log?.("pending-act", {
        tx: tx.hash,
        detector: finding.detector,
        replacing: replacing !== undefined,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        outbids: fees.outbids,
      });
      await this.options.onAction({ ...finding, response }, tx, fees);
      break; // one action per transaction
    }
  }
}
