/**
 * The pipeline: RPC pool -> follower -> detectors -> responder -> store. One `tick` follows the chain to the agreed
 * head, runs every detector on each new range, stores the findings with the cursor, and acts on those at or above the
 * response threshold. `run` ticks until its signal aborts, on each new head a WebSocket subscription announces, and
 * by polling while no subscription is alive (or while every one is behind the quorum's head: see HeadSource).
 */
import type { Detector, DetectorFinding, Response } from "../detectors/types.js";
import { type BlockRange, Follower, type StepResult } from "../follower/follower.js";
import { HeadSource, type HeadSourceOptions } from "../follower/heads.js";
import type { ActionOutcome, Responder } from "../responder/responder.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Finding, Severity } from "../domain/types.js";
import type { Store } from "../store/store.js";

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface WatcherOptions {
  pool: RpcPool;
  store: Store;
  detectors: Detector[];
  /** Contracts whose logs detectors see (with every detector's own `addresses`). */
  addresses: string[];
  startBlock: number;
  /**
   * Acts on findings: one responder, or a function choosing the responder of a finding (e.g. by the protocol its
   * detector watches; undefined: no action). Absent: detect and record only (e.g. a keeper without a key).
   */
  responder?: Responder | ((finding: DetectorFinding) => Responder | undefined);
  /** Findings at or above this severity get their response. Default "high". */
  respondAt?: Severity;
  maxRange?: number;
  /** Milliseconds between ticks while no head subscription is alive (see {@link HeadSource}). Default 250. */
  pollIntervalMs?: number;
  /** The head source's safety-net poll and silence limit. */
  heads?: Pick<HeadSourceOptions, "safetyPollMs" | "silenceMs">;
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** Told about every tick's result, or its error (metrics, alerts, incidents). */
  onTick?: (result: TickResult | undefined, error?: unknown) => Promise<void> | void;
}

export interface TickResult extends StepResult {
  findings: DetectorFinding[];
  /** What the responders did, each with the finding that asked for it. */
  actions: (ActionOutcome & { finding: DetectorFinding })[];
}

export class Watcher {
  readonly follower: Follower;
  private pending: DetectorFinding[] = [];

  constructor(private readonly options: WatcherOptions) {
    this.follower = new Follower({
      pool: options.pool,
      store: options.store,
      addresses: [
        ...new Set(
          [...options.addresses, ...options.detectors.flatMap((d) => d.addresses ?? [])].map((a) => a.toLowerCase()),
        ),
      ],
      startBlock: options.startBlock,
      maxRange: options.maxRange,
      log: options.log,
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
    findings.push(...(await this.poll()));
    const actions: TickResult["actions"] = [];
    const threshold = SEVERITY_RANK[this.options.respondAt ?? "high"];
    const choose = this.options.responder;
    for (const [i, finding] of findings.entries()) {
      if (finding.response !== undefined && SEVERITY_RANK[finding.severity] >= threshold) {
        const responder = typeof choose === "function" ? choose(finding) : choose;
        if (responder !== undefined) {
          let outcome: ActionOutcome;
          try {
            outcome = await responder.respond(finding.response, finding.severity, finding.summary);
          } catch (error) {
            // Not acted on yet: the next tick tries again (and a restart, from the store).
            this.pending.unshift(...findings.slice(i).filter((f) => f.response !== undefined));
            throw error;
          }
          actions.push({ ...outcome, finding });
        }
      }
      if (finding.id !== undefined && finding.response !== undefined) this.options.store.markHandled(finding.id);
    }
    return { ...step, findings, actions };
  }

  /** Ticks on each new head (or poll) until `signal` aborts; errors are logged and the next tick tries again. */
  async run(signal: AbortSignal): Promise<void> {
    // A routing function's responders are resumed by whoever made them.
    const responder = this.options.responder;
    if (typeof responder === "object") await responder.resumeUnfinished();
    // Findings stored before a crash whose action was never decided: act on them first.
    this.pending.unshift(...this.options.store.unhandledFindings().map(revive));
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
        const started = Date.now();
        try {
          const result = await this.tick();
          head = result.head;
          await this.options.onTick?.(result);
        } catch (error) {
          log?.("tick-error", { error: (error as Error).message.split("\n")[0] });
          await this.options.onTick?.(undefined, error);
        }
        // The quorum's head tells the head source what each subscription should have delivered by now.
        heads.observe(pool.agreedHead, started);
        await heads.wait(signal, head);
      }
    } finally {
      heads.stop();
    }
  }

  /** Runs every detector's `poll` (what cannot wait for a new range) and stores its findings at once. */
  private async poll(): Promise<DetectorFinding[]> {
    const { pool, store } = this.options;
    const context = { pool, now: Date.now(), head: pool.agreedHead };
    const findings: DetectorFinding[] = [];
    for (const detector of this.options.detectors) {
      if (detector.poll === undefined) continue;
      for (const finding of await detector.poll(context)) {
        finding.id = store.addFinding(finding);
        findings.push(finding);
      }
    }
    return findings;
  }

  /**
   * Every detector on one range, at the same time: their reads are independent, so a range costs the slowest
   * detector's round trips, not the sum of all of them (the time from a block to its pause). Findings keep the
   * detectors' order.
   */
  private async evaluate(range: BlockRange): Promise<DetectorFinding[]> {
    const results = await Promise.all(
      this.options.detectors.map(async (detector) => await detector.evaluate({ pool: this.options.pool, range })),
    );
    const findings = results.flat();
    this.pending.push(...findings);
    return findings;
  }
}

/** A stored finding as the responder takes it (JSON keeps a scope mask as a string). */
export function revive(finding: Finding): DetectorFinding {
  const response = finding.response as (Response & { scopes?: unknown }) | undefined;
  if (response?.kind === "pauseScopes")
    return { ...finding, response: { ...response, scopes: BigInt(String(response.scopes)) } };
  return { ...finding, response };
}
