/**
 * When to look for new blocks: an `eth_subscribe ["newHeads"]` subscription on every WebSocket endpoint, with
 * polling as the fallback. A head from a subscription is only a wake-up; the block the follower acts on still comes
 * from the pool's quorum (`agreedHead`), so a lying or early socket cannot make the watcher act on a guess.
 *
 * It lives with the follower rather than in the RPC layer because it decides the follower's pace (subscription or
 * polling, and when to switch); the RPC layer only carries the subscription (`Endpoint.socket`).
 *
 * While a subscription is alive, {@link HeadSource.wait} returns on the next new head, or after the slow safety-net
 * poll. While none is (no WebSocket endpoint, every socket down, or every subscription silent for longer than
 * `silenceMs`), it returns every `pollIntervalMs`. A socket that comes back is subscribed again.
 */
import type { Endpoint } from "../rpc/endpoint.js";
import type { RpcPool } from "../rpc/pool.js";

export interface HeadSourceOptions {
  pool: RpcPool;
  /** The polling interval while no subscription is alive, ms. */
  pollIntervalMs: number;
  /** The safety-net poll while a subscription is alive, ms. Default 20 × `pollIntervalMs`, at least 5,000. */
  safetyPollMs?: number;
  /** A subscription that has brought no head for this long no longer counts as alive, ms. Default 30,000. */
  silenceMs?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** Why {@link HeadSource.wait} returned. */
export type WakeReason = "head" | "poll" | "aborted";

interface Subscription {
  id: string;
  /** When it last brought a head (or was made), ms since epoch. */
  lastHeadAt: number;
}

/** How many recent head hashes are remembered, so the same head from several endpoints wakes only once. */
const SEEN_HASHES = 64;

export class HeadSource {
  readonly pollIntervalMs: number;
  readonly safetyPollMs: number;
  readonly silenceMs: number;
  /** The highest head number a subscription has announced. */
  highestHead: number | undefined;
  private readonly subscriptions = new Map<Endpoint, Subscription>();
  private readonly seen: string[] = [];
  private readonly detach: (() => void)[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
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
    for (const [endpoint, subscription] of this.subscriptions) {
      endpoint.request("eth_unsubscribe", [subscription.id]).catch(() => {});
    }
    this.subscriptions.clear();
    this.wake?.("aborted");
  }

  /** The endpoints whose subscription is alive now: subscribed, and not silent for longer than `silenceMs`. */
  alive(now = Date.now()): string[] {
    return [...this.subscriptions]
      .filter(([, s]) => now - s.lastHeadAt <= this.silenceMs)
      .map(([endpoint]) => endpoint.name);
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
    const lastHead = Math.max(0, ...[...this.subscriptions.values()].map((s) => s.lastHeadAt));
    const behind = caughtUpTo !== undefined && this.highestHead !== undefined && this.highestHead > caughtUpTo;
    const delay =
      this.alive(now).length === 0 || behind
        ? this.pollIntervalMs
        : Math.min(this.safetyPollMs, lastHead + this.silenceMs - now + 1);
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

  private async subscribe(endpoint: Endpoint): Promise<void> {
    if (!this.running) return;
    try {
      const id = await endpoint.request<string>("eth_subscribe", ["newHeads"]);
      if (!this.running || endpoint.socket?.isOpen !== true) return;
      this.subscriptions.set(endpoint, { id, lastHeadAt: Date.now() });
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
    subscription.lastHeadAt = Date.now();
    const head = result as { number?: unknown; hash?: unknown } | null;
    if (typeof head?.hash !== "string" || typeof head.number !== "string") return;
    if (this.seen.includes(head.hash)) return; // another endpoint announced it first
    this.seen.push(head.hash);
    if (this.seen.length > SEEN_HASHES) this.seen.shift();
    this.highestHead = Math.max(this.highestHead ?? 0, Number(head.number));
    this.pending = true;
    this.wake?.("head");
  }
}
