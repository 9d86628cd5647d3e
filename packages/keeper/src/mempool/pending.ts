/**
 * The pending-transaction stage: follows the transactions endpoints hold in their mempools, before any block has them.
 * A WebSocket endpoint is subscribed to `newPendingTransactions` (hashes; each new hash is then fetched from the same
 * endpoint); every endpoint is also polled with `eth_pendingTransactions`, which also covers endpoints without
 * subscriptions and notifications lost on a reconnect. A transaction is delivered once, the first time any endpoint
 * shows it, with the time it was first seen and whether it calls one of the watched contracts directly (`direct`).
 * An exploit usually reaches them through a contract of its own, so every transaction is delivered: the simulation
 * (`simulate.ts`, `touched`) says which ones reach them.
 *
 * What one endpoint says is pending decides nothing by itself: a pending transaction only asks for a simulation,
 * and a simulation only counts when a quorum of endpoints agrees on it.
 */
import type { Endpoint } from "../rpc/endpoint.js";
import type { RpcPool } from "../rpc/pool.js";

export interface PendingTx {
  hash: string;
  from: string;
  /** Lowercase; null for a contract creation. */
  to: string | null;
  input: string;
  value: bigint;
  gas: bigint;
  nonce: number;
  /** EIP-1559 fees, or the legacy gas price in both. */
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** Wall-clock ms when an endpoint first showed it. */
  firstSeenMs: number;
  /** The endpoint that showed it first. */
  seenBy: string;
  /** It calls a watched contract directly. */
  direct: boolean;
}

export interface PendingSourceOptions {
  pool: RpcPool;
  /** The watched contracts (any case): a call to one of them is `direct`. */
  addresses: string[];
  /** How often every endpoint's pending pool is polled. Default 250 ms. */
  pollIntervalMs?: number;
  /** Receives every new pending transaction, once. */
  onTransaction: (tx: PendingTx) => void;
  log?: (event: string, fields: Record<string, unknown>) => void;
  now?: () => number;
}

/** Counters for the metrics: transactions seen, and those calling a watched contract directly. */
export interface PendingCounts {
  seen: number;
  direct: number;
}

/** How many hashes are remembered to deliver each transaction once. */
const REMEMBERED = 50_000;

/** A JSON-RPC transaction object as a {@link PendingTx}; undefined when it is not one. */
export function toPendingTx(
  raw: unknown,
  seenBy: string,
  firstSeenMs: number,
  watched: ReadonlySet<string> = new Set(),
): PendingTx | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const t = raw as Record<string, unknown>;
  if (typeof t.hash !== "string" || typeof t.from !== "string") return undefined;
  if (typeof t.blockNumber === "string") return undefined; // mined already
  const gasPrice = t.gasPrice === undefined || t.gasPrice === null ? undefined : BigInt(String(t.gasPrice));
  const maxFee = t.maxFeePerGas === undefined || t.maxFeePerGas === null ? gasPrice : BigInt(String(t.maxFeePerGas));
  const tip =
    t.maxPriorityFeePerGas === undefined || t.maxPriorityFeePerGas === null
      ? gasPrice
      : BigInt(String(t.maxPriorityFeePerGas));
  return {
    hash: t.hash.toLowerCase(),
    from: t.from.toLowerCase(),
    to: typeof t.to === "string" ? t.to.toLowerCase() : null,
    direct: typeof t.to === "string" && watched.has(t.to.toLowerCase()),
    input: typeof t.input === "string" ? t.input : "0x",
    value: BigInt(String(t.value ?? "0x0")),
    gas: BigInt(String(t.gas ?? "0x0")),
    nonce: Number(t.nonce ?? 0),
    maxFeePerGas: maxFee ?? 0n,
    maxPriorityFeePerGas: tip ?? 0n,
    firstSeenMs,
    seenBy,
  };
}

export class PendingSource {
  readonly counts: PendingCounts = { seen: 0, direct: 0 };
  private readonly watched: Set<string>;
  private readonly known = new Set<string>();
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly detach: (() => void)[] = [];
  private running = false;

  constructor(private readonly options: PendingSourceOptions) {
    this.watched = new Set(options.addresses.map((a) => a.toLowerCase()));
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** Subscribes where endpoints offer it and starts polling every endpoint. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const endpoint of this.options.pool.endpoints) {
      const socket = endpoint.socket;
      if (socket === undefined) continue;
      let subscription: string | undefined;
      const onOpen = () => {
        endpoint
          .request<string>("eth_subscribe", ["newPendingTransactions"])
          .then((id) => (subscription = id))
          .catch((error: unknown) =>
            this.options.log?.("pending-subscribe-failed", { endpoint: endpoint.name, error: String(error) }),
          );
      };
      const onNotification = (id: string, result: unknown) => {
        if (id !== subscription || typeof result !== "string") return;
        void this.fetch(endpoint, result.toLowerCase());
      };
      socket.on("open", onOpen).on("notification", onNotification);
      this.detach.push(() => socket.off("open", onOpen).off("notification", onNotification));
      if (socket.isOpen) onOpen();
      else socket.connect();
    }
    const tick = async () => {
      await this.poll();
      if (this.running) this.timer = setTimeout(() => void tick(), this.pollIntervalMs);
    };
    void tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const off of this.detach.splice(0)) off();
  }

  /** Asks every endpoint for its pending transactions once; returns how many new ones it delivered. */
  async poll(): Promise<number> {
    const before = this.counts.seen;
    await Promise.all(
      this.options.pool.endpoints.map(async (endpoint) => {
        try {
          const pending = await endpoint.request<unknown[]>("eth_pendingTransactions", []);
          const at = this.now();
          for (const raw of pending ?? []) this.offer(toPendingTx(raw, endpoint.name, at, this.watched));
        } catch {
          // An endpoint without the method, or down: its subscription (if any) and the others still cover it.
        }
      }),
    );
    return this.counts.seen - before;
  }

  private async fetch(endpoint: Endpoint, hash: string): Promise<void> {
    if (this.known.has(hash)) return;
    const at = this.now();
    try {
      const raw = await endpoint.request("eth_getTransactionByHash", [hash]);
      this.offer(toPendingTx(raw, endpoint.name, at, this.watched));
    } catch {
      // Gone already, or the endpoint failed: polling covers it.
    }
  }

  private offer(tx: PendingTx | undefined): void {
    if (tx === undefined || this.known.has(tx.hash)) return;
    this.known.add(tx.hash);
    if (this.known.size > REMEMBERED) this.known.delete(this.known.values().next().value!);
    this.counts.seen++;
    if (tx.direct) this.counts.direct++;
    this.options.onTransaction(tx);
  }
}
