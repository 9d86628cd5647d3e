/**
 * Delivers the watcher's alerts to every sink without ever blocking or failing the watcher. Each sink has its own
 * queue, so a dead Slack does not delay PagerDuty. Per sink:
 *
 * - Rate limit: at most `maxPerMinute` messages in any sliding minute. Alerts beyond it are held, and sent as ONE
 *   digest message as soon as the window allows: summarized, never dropped.
 * - Critical alerts are never held: each goes out on its own, ahead of everything queued, even while the window is
 *   full or a lower alert waits for its retry (it still counts toward the window).
 * - Retries: network errors, 5xx and 429 are retried `retries` times with exponential backoff and jitter, or after
 *   the receiver's Retry-After; any other 4xx is permanent. A delivery that gives up is logged with the sink name
 *   and status, never the URL or any secret.
 *
 * An alert whose key was already accepted is a duplicate and is not sent again; across restarts, receivers dedupe
 * on the key (PagerDuty's dedup_key, the webhook body's `alerts[].key`).
 */
import { CordonError } from "../errors.js";
import { type Alert, AlertDeliveryError, type AlertSink, type Severity, severityRank } from "./alert.js";

export interface AlerterOptions {
  sinks: AlertSink[];
  /** Alerts below this severity are not sent anywhere. Default "info" (everything). */
  minSeverity?: Severity;
  /** Messages per sink per sliding window (a digest is one message). Default 10. */
  maxPerMinute?: number;
  /** The sliding window `maxPerMinute` counts in. Default 60,000 ms; tests shorten it. */
  windowMs?: number;
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** The first retry's delay; each next one doubles, with jitter. Default 500 ms. */
  backoffMs?: number;
  /** Receives one line per decision (sent, retry, failed, held, duplicate, refused, invalid). */
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface AlerterStats {
  /** Alert deliveries (one alert to one sink) that succeeded, alone or in a digest. */
  sent: number;
  /** Alert deliveries that gave up. */
  failed: number;
  /** Alert deliveries that went into a digest. */
  summarized: number;
  /** Alert deliveries not yet delivered nor given up. */
  queued: number;
}

/** The longest wait before a retry, whatever the backoff or Retry-After say. */
const MAX_RETRY_DELAY_MS = 300_000;
/** How many keys are remembered for deduplication. */
const REMEMBERED_KEYS = 10_000;

interface Entry {
  alert: Alert;
  settled: Promise<void>;
  settle: () => void;
}

/** One message on its way: a single alert or a digest, with its retry state. */
interface Delivery {
  entries: Entry[];
  critical: boolean;
  attempts: number;
  notBefore: number;
  inFlight: boolean;
}

const delivery = (entries: Entry[], critical: boolean, now: number): Delivery => ({
  entries,
  critical,
  attempts: 0,
  notBefore: now,
  inFlight: false,
});

type Log = (event: string, fields: Record<string, unknown>) => void;

interface Counters {
  sent: number;
  failed: number;
  summarized: number;
}

export class Alerter {
  private readonly lanes: Lane[];
  private readonly minRank: number;
  private readonly seen = new Set<string>();
  private readonly counters: Counters = { sent: 0, failed: 0, summarized: 0 };
  private readonly log: Log;
  private closed = false;

  constructor(options: AlerterOptions) {
    const maxPerMinute = options.maxPerMinute ?? 10;
    const windowMs = options.windowMs ?? 60_000;
    const retries = options.retries ?? 5;
    const backoffMs = options.backoffMs ?? 500;
    integerAtLeast("maxPerMinute", maxPerMinute, 1);
    integerAtLeast("windowMs", windowMs, 1);
    integerAtLeast("retries", retries, 0);
    if (!(backoffMs >= 0 && Number.isFinite(backoffMs))) {
      throw new CordonError(`alerts: backoffMs must be a number of milliseconds >= 0, got ${backoffMs}`);
    }
    const names = options.sinks.map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new CordonError(`alerts: two sinks are named "${duplicate}"`, {
        details: "logs and stats tell sinks apart by name: pass a distinct `name` to each sink factory",
      });
    }
    const log: Log = (event, fields) => {
      try {
        options.log?.(event, fields);
      } catch {
        // A failing logger must not take alerting (or the watcher) down with it.
      }
    };
    this.log = log;
    this.minRank = severityRank(options.minSeverity ?? "info");
    this.lanes = options.sinks.map(
      (sink) => new Lane(sink, { maxPerMinute, windowMs, retries, backoffMs }, this.counters, log),
    );
  }

  /** Queues `alert` for every sink that takes its severity. Returns at once; never throws. */
  notify(alert: Alert): void {
    try {
      if (this.closed) {
        this.log("alert.refused", { key: alert.key, why: "the alerter is closed" });
        return;
      }
      const rank = severityRank(alert.severity);
      if (rank === -1) {
        this.log("alert.invalid", { key: alert.key, severity: alert.severity });
        return;
      }
      if (rank < this.minRank) return;
      if (this.seen.has(alert.key)) {
        this.log("alert.duplicate", { key: alert.key });
        return;
      }
      this.seen.add(alert.key);
      if (this.seen.size > REMEMBERED_KEYS) this.seen.delete(this.seen.values().next().value!);
      for (const lane of this.lanes) {
        if (lane.sink.minSeverity === undefined || rank >= severityRank(lane.sink.minSeverity)) lane.push(alert);
      }
    } catch (error) {
      this.log("alert.error", { key: alert?.key, error: error instanceof Error ? error.name : typeof error });
    }
  }

  /**
   * Resolves when everything queued so far was delivered or gave up. Alerts held by the rate limit are sent at once
   * as one digest per sink rather than waiting for the window.
   */
  async flush(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.drain()));
  }

  /** Refuses new alerts, flushes, then stops every timer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    for (const lane of this.lanes) lane.stop();
  }

  stats(): AlerterStats {
    return { ...this.counters, queued: this.lanes.reduce((n, lane) => n + lane.size(), 0) };
  }
}

function integerAtLeast(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new CordonError(`alerts: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** One sink's queue, rate limit and retries; runs one request at a time. */
class Lane {
  /** Alerts not yet in a delivery: criticals first, then in arrival order. */
  private pending: Entry[] = [];
  private deliveries: Delivery[] = [];
  /** When each message of the current window was first attempted. */
  private sends: number[] = [];
  /** The window was full while alerts waited: the next message is a digest of them all. */
  private held = false;
  private draining = 0;
  private running = false;
  private poked = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly sink: AlertSink,
    private readonly config: { maxPerMinute: number; windowMs: number; retries: number; backoffMs: number },
    private readonly counters: Counters,
    private readonly log: Log,
  ) {}

  push(alert: Alert): void {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const entry = { alert, settled, settle };
    if (alert.severity === "critical") {
      const firstLower = this.pending.findIndex((e) => e.alert.severity !== "critical");
      this.pending.splice(firstLower === -1 ? this.pending.length : firstLower, 0, entry);
    } else {
      this.pending.push(entry);
    }
    this.poke();
  }

  size(): number {
    return this.pending.length + this.deliveries.reduce((n, d) => n + d.entries.length, 0);
  }

  /** Waits for everything queued now, sending held alerts without waiting for the window. */
  async drain(): Promise<void> {
    const waiting = [...this.pending, ...this.deliveries.flatMap((d) => d.entries)].map((e) => e.settled);
    this.draining += 1;
    this.poke();
    try {
      await Promise.all(waiting);
    } finally {
      this.draining -= 1;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private poke(): void {
    this.poked = true;
    if (this.wake !== undefined) {
      clearTimeout(this.timer);
      const wake = this.wake;
      this.wake = undefined;
      wake();
    }
    if (!this.running) {
      this.running = true;
      // Not in the caller's turn: rendering and sending are none of notify()'s business.
      queueMicrotask(() => void this.run().finally(() => (this.running = false)));
    }
  }

  /**
   * Starts whatever may go now and sleeps until the next retry or window slot, or until poked (a new alert, a
   * finished request, a flush). At most one critical and one lower request are in flight at a time, so a lower
   * request that hangs does not hold a critical one.
   */
  private async run(): Promise<void> {
    while (this.pending.length > 0 || this.deliveries.length > 0) {
      this.poked = false;
      const now = Date.now();
      const { maxPerMinute, windowMs } = this.config;
      this.sends = this.sends.filter((t) => t > now - windowMs);
      while (this.pending[0]?.alert.severity === "critical") {
        this.deliveries.push(delivery([this.pending.shift()!], true, now));
      }
      let wakeAt = Infinity;
      // Lower alerts go one message at a time, so they keep their order and a dead sink does not pile up requests.
      if (this.pending.length > 0 && this.deliveries.every((d) => d.critical)) {
        const full = this.sends.length >= maxPerMinute;
        if (full && this.draining === 0) {
          if (!this.held) this.log("alert.held", { sink: this.sink.name, maxPerMinute, windowMs });
          this.held = true;
          wakeAt = this.sends[0]! + windowMs;
        } else {
          const digest = (this.held || full) && this.pending.length > 1;
          const entries = digest ? this.pending.splice(0) : [this.pending.shift()!];
          if (digest) this.counters.summarized += entries.length;
          this.held = false;
          this.deliveries.push(delivery(entries, false, now));
        }
      }
      for (const critical of [true, false]) {
        const mine = this.deliveries.filter((d) => d.critical === critical);
        const next = mine[0];
        if (next === undefined || mine.some((d) => d.inFlight)) continue;
        if (next.notBefore <= now) void this.attempt(next);
        else wakeAt = Math.min(wakeAt, next.notBefore);
      }
      await this.sleep(wakeAt - now);
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.inFlight = true;
    if (delivery.attempts === 0) this.sends.push(Date.now());
    delivery.attempts += 1;
    const alerts = delivery.entries.map((e) => e.alert);
    const about = { sink: this.sink.name, count: alerts.length, keys: alerts.map((a) => a.key) };
    try {
      await this.sink.send(alerts);
      this.counters.sent += alerts.length;
      this.log("alert.sent", { ...about, digest: alerts.length > 1, attempts: delivery.attempts });
      this.finish(delivery);
    } catch (error) {
      // Only what Cordon's own errors say: a custom sink's error message could hold its URL.
      const known = error instanceof CordonError;
      const status = error instanceof AlertDeliveryError ? error.status : undefined;
      const why = { status, error: known ? error.shortMessage : error instanceof Error ? error.name : typeof error };
      const retryable = known ? error.retryable : true;
      if (retryable && delivery.attempts <= this.config.retries) {
        const retryAfterMs = error instanceof AlertDeliveryError ? error.retryAfterMs : undefined;
        const delayMs = Math.min(MAX_RETRY_DELAY_MS, retryAfterMs ?? this.backoff(delivery.attempts));
        delivery.notBefore = Date.now() + delayMs;
        this.log("alert.retry", { ...about, ...why, attempt: delivery.attempts, delayMs: Math.round(delayMs) });
      } else {
        this.counters.failed += alerts.length;
        this.log("alert.failed", { ...about, ...why, attempts: delivery.attempts, permanent: !retryable });
        this.finish(delivery);
      }
    } finally {
      delivery.inFlight = false;
      this.poke();
    }
  }

  /** Exponential with "equal jitter": half the step fixed, half random, so keepers do not retry in lockstep. */
  private backoff(attempt: number): number {
    const step = this.config.backoffMs * 2 ** (attempt - 1);
    return step / 2 + (Math.random() * step) / 2;
  }

  private finish(delivery: Delivery): void {
    this.deliveries.splice(this.deliveries.indexOf(delivery), 1);
    for (const entry of delivery.entries) entry.settle();
  }

  /** Resolves after `ms` (never, if infinite) or when poked, at once if poked since the loop last looked. */
  private sleep(ms: number): Promise<void> {
    if (this.poked) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      if (ms !== Infinity) {
        this.timer = setTimeout(
          () => {
            this.wake = undefined;
            resolve();
          },
          Math.max(0, ms),
        );
      }
    });
  }
}
