/**
 * The pipeline: RPC pool -> follower -> detectors -> responder -> store. One `tick` follows the chain to the agreed
 * head, runs every detector on each new range, stores the findings with the cursor, and acts on those at or above the
 * response threshold. `run` ticks until its signal aborts, on each new head a WebSocket subscription announces, and
 * by polling while no subscription is alive.
 */
import type { Detector, DetectorFinding } from "../detectors/types.js";
import { type BlockRange, Follower, type StepResult } from "../follower/follower.js";
import { HeadSource, type HeadSourceOptions } from "../follower/heads.js";
import type { ActionOutcome, Responder } from "../responder/responder.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Severity, Store } from "../store/store.js";

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface WatcherOptions {
  pool: RpcPool;
  store: Store;
  detectors: Detector[];
  /** Contracts whose logs detectors see. */
  addresses: string[];
  startBlock: number;
  /** Absent: detect and record only (e.g. `--replay`, or a keeper without a key). */
  responder?: Responder;
  /** Findings at or above this severity get their response. Default "high". */
  respondAt?: Severity;
  maxRange?: number;
  /** Milliseconds between ticks while no head subscription is alive (see {@link HeadSource}). Default 250. */
  pollIntervalMs?: number;
  /** The head source's safety-net poll and silence limit. */
  heads?: Pick<HeadSourceOptions, "safetyPollMs" | "silenceMs">;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface TickResult extends StepResult {
  findings: DetectorFinding[];
  actions: ActionOutcome[];
}

export class Watcher {
  readonly follower: Follower;
  private pending: DetectorFinding[] = [];

  constructor(private readonly options: WatcherOptions) {
    this.follower = new Follower({
      pool: options.pool,
      store: options.store,
      addresses: options.addresses,
      startBlock: options.startBlock,
      maxRange: options.maxRange,
      onRange: (range) => this.evaluate(range),
      onReorg: (ancestor, retracted) => {
        for (const detector of options.detectors) detector.onReorg?.(ancestor.number);
        this.pending = this.pending.filter((f) => f.blockNumber <= ancestor.number);
        options.log?.("reorg", { ancestor: ancestor.number, retracted: retracted.length });
      },
    });
  }

  /** Follows to the agreed head, then acts on what was found. */
  async tick(): Promise<TickResult> {
    const step = await this.follower.step();
    const findings = this.pending;
    this.pending = [];
    const actions: ActionOutcome[] = [];
    const threshold = SEVERITY_RANK[this.options.respondAt ?? "high"];
    const responder = this.options.responder;
    if (responder !== undefined) {
      for (const finding of findings) {
        if (finding.response === undefined || SEVERITY_RANK[finding.severity] < threshold) continue;
        actions.push(await responder.respond(finding.response, finding.severity, finding.summary));
      }
    }
    return { ...step, findings, actions };
  }

  /** Ticks on each new head (or poll) until `signal` aborts; errors are logged and the next tick tries again. */
  async run(signal: AbortSignal): Promise<void> {
    await this.options.responder?.resumeUnfinished();
    const { pool, log } = this.options;
    const heads = new HeadSource({
      pool,
      pollIntervalMs: this.options.pollIntervalMs ?? 250,
      ...this.options.heads,
      log,
    });
    heads.start();
    try {
      while (!signal.aborted) {
        let head: number | undefined;
        try {
          head = (await this.tick()).head;
        } catch (error) {
          log?.("tick-error", { error: (error as Error).message.split("\n")[0] });
        }
        await heads.wait(signal, head);
      }
    } finally {
      heads.stop();
    }
  }

  private async evaluate(range: BlockRange): Promise<DetectorFinding[]> {
    const findings: DetectorFinding[] = [];
    for (const detector of this.options.detectors) {
      findings.push(...(await detector.evaluate({ pool: this.options.pool, range })));
    }
    this.pending.push(...findings);
    return findings;
  }
}
