/**
 * When to look for new blocks: an `eth_subscribe ["newHeads"]` subscription on every WebSocket endpoint, with
 * polling as the fallback. A head from a subscription is only a wake-up; the block the follower acts on still comes
 * from the pool's quorum (`agreedHead`), so a lying or early socket cannot make the watcher act on a guess.
 *
 * It lives with the follower rather than in the RPC layer because it decides the follower's pace (subscription or
 * polling, and when to switch); the RPC layer only carries the subscription (`Endpoint.socket`).
 *
 * A subscription is alive only while it delivers what the other endpoints' heads say it should. Nodes and providers
 * stop delivering a subscription without closing it or saying so (a `hardhat node` does 300 s after it was made), so
 * the caller tells the head source the quorum-agreed head after each follower step ({@link HeadSource.observe}); the
 * head source learns the chain's block interval from that head's pace (from the first head's ancestors' timestamps
 * until it has seen a few). A subscription whose last head stays below an agreed head for longer than about one block
 * interval is silent: it stops counting as alive at once, is logged (`heads-silent`) and replaced: unsubscribed (best
 * effort) and subscribed again on the same socket, and if the replacement is silent too, its socket is reconnected. A
 * replacement counts as alive once it delivers a head again (`heads-resumed`). An endpoint that stays silent is retried
 * less and less often, up to every `silenceMs`.
 *
 * {@link HeadSource.wait} returns on the next new head. While a subscription is alive and has delivered the agreed
 * head, it also returns after about one block interval plus a margin with no new head, so that a poll confirms that
 * the chain has not moved (a subscription that falls silent costs at most that), and in any case after the slow
 * safety-net poll. While none is (no WebSocket endpoint, every socket down, every subscription behind the agreed head,
 * silent, or without a head for longer than `silenceMs`), it returns every `pollIntervalMs`. A socket that comes back
 * is subscribed again.
 */
import { type BlockHead, type Endpoint, parseHead } from "../rpc/endpoint.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";

export interface HeadSourceOptions {
  pool: RpcPool;
  /** The polling interval while no subscription is alive, ms. */
  pollIntervalMs: number;
  /** The safety-net poll while a subscription is alive, ms. Default 20 × `pollIntervalMs`, at least 5,000. */
  safetyPollMs?: number;
  /**
   * A subscription that has brought no head for this long no longer counts as alive, whatever the other endpoints
   * say (a chain that stopped, or no agreed head to compare with), ms. Also the longest wait between two replacements
   * of a subscription that stays silent. Default 30,000.
   */
  silenceMs?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** Why {@link HeadSource.wait} returned. */
export type WakeReason = "head" | "poll" | "aborted";

interface Subscription {
  id: string;
  /** When it was made, ms since epoch. */
  since: number;
  /** When it last brought a head (or was made), ms since epoch. */
  lastHeadAt: number;
  /** The highest head number it has delivered. */
  delivered: number | undefined;
  /** The head it is accountable from: the agreed head when it was made, or the highest it delivered since. */
  upTo: number | undefined;
  /** Since when an agreed head has been above `upTo`, ms since epoch; undefined while it is not behind. */
  behindSince: number | undefined;
  /** Whether it counts as alive yet: a replacement for a silent one counts once it delivers a head. */
  proven: boolean;
}

/** How many recent head hashes are remembered, so the same head from several endpoints wakes only once. */
const SEEN_HASHES = 64;
/** How many recent block spacings the block interval is the median of, and how many it needs first. */
const INTERVAL_SAMPLES = 15;
const MIN_INTERVAL_SAMPLES = 3;
/** How many blocks back the first agreed head's ancestor is, whose timestamp gives the interval until then. */
const PRIOR_BLOCKS = 32;
/** The least time a subscription may stay behind the agreed head before it is silent, ms (notifications jitter). */
const SILENT_FLOOR_MS = 250;

export class HeadSource {
  readonly pollIntervalMs: number;
  readonly safetyPollMs: number;
  readonly silenceMs: number;
  /** The highest head number a subscription has announced. */
  highestHead: number | undefined;
  /** The newest agreed head the caller reported ({@link observe}). */
  agreedHead: number | undefined;
  private readonly subscriptions = new Map<Endpoint, Subscription>();
  /** Per endpoint, how many of its subscriptions in a row were found silent without catching up since. */
  private readonly strikes = new Map<Endpoint, number>();
  private readonly seen: string[] = [];
  private readonly detach: (() => void)[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  /** Fires when the first subscription behind the agreed head runs out of time, even in the middle of a long step. */
  private silenceTimer: NodeJS.Timeout | undefined;
  /** Recent spacings of the agreed head, ms per block. */
  private readonly spacings: number[] = [];
  /** The interval the block timestamps give, until enough spacings are seen, ms; undefined until read. */
  private priorIntervalMs: number | undefined;
  private priorAsked = false;
  /** The highest agreed head seen, and when it was first seen (ms since epoch): the chain's last known advance. */
  private tip: number | undefined;
  private tipAt = 0;
  private pending = false;
  private wake: ((reason: WakeReason) => void) | undefined;
  private running = false;

  constructor(private readonly options: HeadSourceOptions) {
    this.pollIntervalMs = options.pollIntervalMs;
    this.safetyPollMs = options.safetyPollMs ?? Math.max(5_000, 20 * options.pollIntervalMs);
    this.silenceMs = options.silenceMs ?? 30_000;
  }

  /** Subscribes on every WebSocket endpoint (connecting them), and again whenever one reconnects. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const endpoint of this.options.pool.endpoints) {
      const socket = endpoint.socket;
      if (socket === undefined) continue;
      const onOpen = () => void this.subscribe(endpoint);
      const onClose = (reason: string) => {
        if (!this.subscriptions.delete(endpoint)) return;
        this.options.log?.("heads-lost", { endpoint: endpoint.name, reason, alive: this.alive().length });
        this.wake?.("poll"); // a wait sized for a live subscription must not outlast it
      };
      const onNotification = (id: string, result: unknown) => this.onHead(endpoint, id, result);
      socket.on("open", onOpen).on("close", onClose).on("notification", onNotification);
      this.detach.push(() => socket.off("open", onOpen).off("close", onClose).off("notification", onNotification));
      if (socket.isOpen) onOpen();
      else socket.connect();
    }
  }

  /** Stops listening and unsubscribes (best effort); the sockets stay open for requests. */
  stop(): void {
    this.running = false;
    for (const detach of this.detach.splice(0)) detach();
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    for (const [endpoint, subscription] of this.subscriptions) {
      endpoint.request("eth_unsubscribe", [subscription.id]).catch(() => {});
    }
    this.subscriptions.clear();
    this.strikes.clear();
    this.wake?.("aborted");
  }

  /**
   * The endpoints whose subscription is alive now: subscribed, delivering (a replacement for a silent one has
   * delivered a head), not found silent against the agreed head, and with a head within the last `silenceMs`.
   */
  alive(now = Date.now()): string[] {
    return [...this.subscriptions].filter(([, s]) => this.isAlive(s, now)).map(([endpoint]) => endpoint.name);
  }

  /**
   * The chain's block interval as the head source has learned it: the median spacing of the recent agreed heads, or
   * until it has seen a few, the mean spacing of the timestamps of the 32 blocks up to the first agreed head, ms;
   * undefined until either is known.
   */
  get blockIntervalMs(): number | undefined {
    if (this.spacings.length < MIN_INTERVAL_SAMPLES) return this.priorIntervalMs;
    const sorted = [...this.spacings].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /**
   * How long a subscription may stay below an agreed head before it is silent, ms: one block interval (at least
   * 250 ms), or `safetyPollMs` while the interval is unknown; never more than `silenceMs`.
   */
  get silentAfterMs(): number {
    return Math.min(this.silenceMs, Math.max(SILENT_FLOOR_MS, this.blockIntervalMs ?? this.safetyPollMs));
  }

  /**
   * Takes the quorum-agreed head (the pool's `agreedHead` after a follower step) as what every subscription should
   * have delivered by now, first seen at `at` (ms since epoch: when the step that read it started). Learns the block
   * interval from its pace, and replaces the subscriptions that have stayed behind it for too long.
   */
  observe(head: BlockHead | undefined, at = Date.now()): void {
    if (head === undefined) return;
    if (!this.priorAsked && head.number > 0) {
      this.priorAsked = true;
      void this.readPrior(head);
    }
    if (this.tip === undefined || head.number > this.tip) {
      if (this.tip !== undefined) {
        this.spacings.push(Math.max(0, at - this.tipAt) / (head.number - this.tip));
        if (this.spacings.length > INTERVAL_SAMPLES) this.spacings.shift();
      }
      this.tip = head.number;
      this.tipAt = at;
    }
    this.agreedHead = head.number;
    for (const subscription of this.subscriptions.values()) {
      subscription.upTo ??= head.number; // made before any agreed head was known: accountable from this one
      if (subscription.upTo >= head.number) subscription.behindSince = undefined;
      else subscription.behindSince ??= at;
    }
    this.replaceSilent(Date.now());
  }

  /**
   * Resolves with "head" when a new head arrives (at once if one arrived since the last call), with "poll" when it
   * is time to poll, or with "aborted". `caughtUpTo` is the block the caller has processed: while a subscription has
   * announced a higher one (the quorum had not reached it yet), the caller is polled at `pollIntervalMs`.
   */
  async wait(signal: AbortSignal, caughtUpTo?: number): Promise<WakeReason> {
    if (signal.aborted) return "aborted";
    if (this.pending) {
      this.pending = false;
      return "head";
    }
    const now = Date.now();
    this.replaceSilent(now);
    const delay = this.delay(now, caughtUpTo);
    return await new Promise<WakeReason>((resolve) => {
      const finish = (reason: WakeReason) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.wake = undefined;
        if (reason === "head") this.pending = false;
        resolve(reason);
      };
      const timer = setTimeout(() => finish("poll"), delay);
      const onAbort = () => finish("aborted");
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake = finish;
    });
  }

  /**
   * Reads the block interval from the timestamps (seconds) of `head` and an ancestor, so that a keeper knows the
   * chain's pace from its first block on, not only after a few. It only paces polling, so one endpoint's answer does.
   */
  private async readPrior(head: BlockHead): Promise<void> {
    const from = Math.max(0, head.number - PRIOR_BLOCKS);
    try {
      const block = await this.options.pool.request("eth_getBlockByNumber", [hexNumber(from), false]);
      const ancestor = parseHead("pool", block);
      const ms = ((head.timestamp - ancestor.timestamp) * 1000) / (head.number - ancestor.number);
      if (Number.isFinite(ms) && ms > 0) this.priorIntervalMs = ms;
    } catch {
      // learned from the agreed heads' pace instead, a few blocks later
    }
  }

  private isAlive(subscription: Subscription, now: number): boolean {
    return subscription.proven && now - subscription.lastHeadAt <= this.silenceMs;
  }

  /** How long {@link wait} may wait for a head before the caller must poll, ms. */
  private delay(now: number, caughtUpTo: number | undefined): number {
    const behind = caughtUpTo !== undefined && this.highestHead !== undefined && this.highestHead > caughtUpTo;
    // Only a subscription that has delivered the agreed head can be trusted to announce the next one.
    const current = [...this.subscriptions.values()].filter((s) => this.isAlive(s, now) && s.behindSince === undefined);
    if (behind || current.length === 0) return this.pollIntervalMs;
    const lastHead = Math.max(...current.map((s) => s.lastHeadAt));
    let delay = Math.min(this.safetyPollMs, lastHead + this.silenceMs - now + 1);
    const interval = this.blockIntervalMs;
    if (interval !== undefined && this.tip !== undefined) {
      // No head for a block interval and a margin: poll to confirm that the chain has not moved. Once a block is
      // overdue, poll with a lateness of at most a quarter of the quiet time, so a stopped chain is polled less and
      // less often.
      const confirmMs = interval + Math.max(this.pollIntervalMs, interval / 4);
      const quiet = now - this.tipAt;
      delay = Math.min(delay, quiet < confirmMs ? confirmMs - quiet : Math.max(this.pollIntervalMs, quiet / 4));
    }
    return Math.max(0, delay);
  }

  /**
   * Replaces every subscription that has stayed behind the agreed head for longer than it may (see the header), and
   * sets a timer for the next one that may, so that a caller busy with a long step (acting on a finding) does not
   * delay it.
   */
  private replaceSilent(now: number): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    if (!this.running) return;
    let next = Infinity;
    for (const [endpoint, subscription] of [...this.subscriptions]) {
      if (subscription.behindSince === undefined) continue;
      const strikes = this.strikes.get(endpoint) ?? 0;
      // An endpoint whose replacements stay silent too is retried less and less often, up to every `silenceMs`.
      const allowedMs = Math.min(this.silenceMs, this.silentAfterMs * 2 ** Math.max(0, strikes - 1));
      const behindMs = now - subscription.behindSince;
      if (behindMs <= allowedMs) {
        next = Math.min(next, subscription.behindSince + allowedMs + 1);
        continue;
      }
      this.subscriptions.delete(endpoint);
      this.strikes.set(endpoint, strikes + 1);
      const reconnect = strikes >= 1 && endpoint.socket !== undefined;
      this.options.pool.dispute(
        endpoint.name,
        `its newHeads subscription went silent at head ${subscription.delivered ?? "none"} while a quorum was at ${this.agreedHead}`,
      );
      this.options.log?.("heads-silent", {
        endpoint: endpoint.name,
        lastHead: subscription.delivered ?? null,
        agreedHead: this.agreedHead,
        behindMs,
        subscribedForMs: now - subscription.since,
        blockIntervalMs: this.blockIntervalMs === undefined ? null : Math.round(this.blockIntervalMs),
        replacement: reconnect ? "reconnect" : "resubscribe",
        alive: this.alive(now).length,
      });
      this.wake?.("poll"); // a wait sized for a live subscription must not outlast it
      if (reconnect) {
        // The replacement on the same socket was silent too: a fresh connection (subscribed again when it opens).
        endpoint.socket!.reset("its newHeads subscription was silent");
      } else {
        endpoint.request("eth_unsubscribe", [subscription.id]).catch(() => {});
        void this.subscribe(endpoint);
      }
    }
    if (next !== Infinity) {
      this.silenceTimer = setTimeout(() => this.replaceSilent(Date.now()), Math.max(0, next - now));
      this.silenceTimer.unref?.();
    }
  }

  private async subscribe(endpoint: Endpoint): Promise<void> {
    if (!this.running) return;
    try {
      const id = await endpoint.request<string>("eth_subscribe", ["newHeads"]);
      if (!this.running || endpoint.socket?.isOpen !== true) return;
      const now = Date.now();
      this.subscriptions.set(endpoint, {
        id,
        since: now,
        lastHeadAt: now,
        delivered: undefined,
        upTo: this.agreedHead,
        behindSince: undefined,
        // A replacement for a silent subscription is not trusted until it delivers.
        proven: !this.strikes.has(endpoint),
      });
      this.options.log?.("heads-subscribed", { endpoint: endpoint.name, alive: this.alive().length });
    } catch (error) {
      this.options.log?.("heads-subscribe-failed", {
        endpoint: endpoint.name,
        error: (error as Error).message.split("\n")[0],
      });
      // A dropped socket subscribes again when it reopens; an open one that refused is asked again later.
      if (!this.running || endpoint.socket?.isOpen !== true) return;
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.subscribe(endpoint);
      }, this.safetyPollMs);
      this.retries.add(timer);
    }
  }

  private onHead(endpoint: Endpoint, id: string, result: unknown): void {
    const subscription = this.subscriptions.get(endpoint);
    if (subscription?.id !== id) return; // an old subscription's late notification
    const now = Date.now();
    subscription.lastHeadAt = now;
    const head = result as { number?: unknown; hash?: unknown } | null;
    if (typeof head?.hash !== "string" || typeof head.number !== "string") return;
    const number = Number(head.number);
    subscription.delivered = Math.max(subscription.delivered ?? number, number);
    subscription.upTo = Math.max(subscription.upTo ?? number, number);
    if (this.agreedHead === undefined || subscription.upTo >= this.agreedHead) {
      subscription.behindSince = undefined;
      if (this.strikes.has(endpoint)) {
        this.options.log?.("heads-resumed", {
          endpoint: endpoint.name,
          head: number,
          agreedHead: this.agreedHead,
          silentStrikes: this.strikes.get(endpoint) ?? 0,
        });
      }
      subscription.proven = true;
      this.strikes.delete(endpoint);
    }
    if (this.seen.includes(head.hash)) return; // another endpoint announced it first
    this.seen.push(head.hash);
    if (this.seen.length > SEEN_HASHES) this.seen.shift();
    this.highestHead = Math.max(this.highestHead ?? 0, number);
    this.pending = true;
    this.wake?.("head");
  }
}
