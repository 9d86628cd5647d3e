/**
 * The pending-transaction stage: follows the transactions endpoints hold in their mempools, before any block has them.
 * A WebSocket endpoint is subscribed to `newPendingTransactions` (hashes; each new hash is then fetched from the same
 * endpoint); the endpoints without a live subscription are polled with `eth_pendingTransactions` instead. A transaction is delivered once, the first time any endpoint
 * shows it, with the time it was first seen and whether it calls one of the watched contracts directly (`direct`).
 * An exploit usually reaches them through a contract of its own, so every transaction is delivered: the simulation
 * (`simulate.ts`, `touched`) says which ones reach them.
 *
 * What one endpoint says is pending decides nothing by itself: a pending transaction only asks for a simulation,
 * and a simulation only counts when a quorum of endpoints agrees on it. Before a pending transaction makes the keeper
 * act, its signature is checked ({@link verifyPendingTx}): an endpoint cannot invent a transaction from someone else's
 * account (one that would never land) to make the keeper pause.
 */
import { Signature } from "ethers/crypto";
import { Transaction } from "ethers/transaction";

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
  /** The transaction object as the endpoint gave it (with its signature), for {@link verifyPendingTx}. */
  raw?: Record<string, unknown>;
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
    raw: t,
  };
}

const big = (value: unknown): bigint => BigInt(String(value ?? "0x0"));

/**
 * Whether `tx` is a transaction its sender signed: rebuilt from the endpoint's fields, its hash and the sender its
 * signature recovers must be the ones the endpoint announced. Undefined when it checks out; otherwise what is wrong.
 */
export function verifyPendingTx(tx: PendingTx): string | undefined {
  const t = tx.raw;
  if (t === undefined) return "no transaction object to check";
  if (t.r === undefined || t.s === undefined) return "no signature";
  let rebuilt: Transaction;
  try {
    const type = Number(t.type ?? 0);
    const parity = t.yParity ?? t.v;
    rebuilt = Transaction.from({
      type,
      ...(t.chainId === undefined || t.chainId === null ? {} : { chainId: big(t.chainId) }),
      nonce: Number(t.nonce ?? 0),
      gasLimit: big(t.gas),
      to: typeof t.to === "string" ? t.to : null,
      value: big(t.value),
      data: typeof t.input === "string" ? t.input : "0x",
      ...(type < 2
        ? { gasPrice: big(t.gasPrice) }
        : { maxFeePerGas: big(t.maxFeePerGas), maxPriorityFeePerGas: big(t.maxPriorityFeePerGas) }),
      ...(type >= 1 ? { accessList: (t.accessList ?? []) as never } : {}),
      ...(type === 3
        ? { maxFeePerBlobGas: big(t.maxFeePerBlobGas), blobVersionedHashes: t.blobVersionedHashes as string[] }
        : {}),
      ...(type === 4
        ? {
            authorizationList: ((t.authorizationList ?? []) as Record<string, unknown>[]).map((a) => ({
              address: String(a.address),
              nonce: big(a.nonce),
              chainId: big(a.chainId),
              signature: Signature.from({
                r: String(a.r),
                s: String(a.s),
                yParity: Number(a.yParity ?? a.v) as 0 | 1,
              }),
            })),
          }
        : {}),
      signature: Signature.from(
        type === 0
          ? { r: String(t.r), s: String(t.s), v: Number(t.v) }
          : { r: String(t.r), s: String(t.s), yParity: Number(parity) as 0 | 1 },
      ),
    });
  } catch (error) {
    return `its fields do not make a signed transaction (${(error as Error).message.split("\n")[0]})`;
  }
  if (rebuilt.hash?.toLowerCase() !== tx.hash) return `its fields hash to ${rebuilt.hash}, not ${tx.hash}`;
  if (rebuilt.from?.toLowerCase() !== tx.from) return `its signature is ${rebuilt.from}'s, not ${tx.from}'s`;
  return undefined;
}

export class PendingSource {
  readonly counts: PendingCounts = { seen: 0, direct: 0 };
  private readonly watched: Set<string>;
  private readonly known = new Set<string>();
  private readonly fetching = new Set<string>();
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly detach: (() => void)[] = [];
  /** Endpoints whose `newPendingTransactions` subscription is live: polling them is left out. */
  private readonly subscribed = new Set<string>();
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
          .then((id) => {
            subscription = id;
            this.subscribed.add(endpoint.name);
          })
          .catch((error: unknown) =>
            this.options.log?.("pending-subscribe-failed", { endpoint: endpoint.name, error: String(error) }),
          );
      };
      const onNotification = (id: string, result: unknown) => {
        if (id !== subscription || typeof result !== "string") return;
        void this.fetch(endpoint, result.toLowerCase());
      };
      const onClose = () => {
        subscription = undefined;
        this.subscribed.delete(endpoint.name);
      };
      socket.on("open", onOpen).on("close", onClose).on("notification", onNotification);
      this.detach.push(() => socket.off("open", onOpen).off("close", onClose).off("notification", onNotification));
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

  /**
   * Asks every endpoint without a live subscription for its pending transactions once; returns how many new ones it
   * delivered.
   */
  async poll(): Promise<number> {
    const before = this.counts.seen;
    await Promise.all(
      this.options.pool.endpoints
        .filter((e) => !this.subscribed.has(e.name))
        .map(async (endpoint) => {
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
    // Each endpoint announces the same hash: one fetch, from the first to announce it.
    if (this.known.has(hash) || this.fetching.has(hash)) return;
    this.fetching.add(hash);
    const at = this.now();
    try {
      const raw = await endpoint.request("eth_getTransactionByHash", [hash]);
      this.offer(toPendingTx(raw, endpoint.name, at, this.watched));
    } catch {
      // Gone already, or the endpoint failed: another endpoint's announcement or a poll covers it.
    } finally {
      this.fetching.delete(hash);
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
