import {
  RpcGarbageError,
  RpcRateLimitedError,
  RpcResponseError,
  RpcTimeoutError,
  RpcTransportError,
} from "./errors.js";
import { HttpTimeout, type HttpAnswer, postJson } from "./http.js";
import { RpcSocket, WS_STATUS } from "./socket.js";

export interface EndpointConfig {
  /** A name for logs and metrics (never the URL, which may carry an API key). */
  name: string;
  url: string;
  /** Milliseconds before a request counts as failed. Default 4,000. */
  timeoutMs?: number;
  /** For a `ws://` or `wss://` URL: the longest wait between reconnection attempts, ms. Default 5,000. */
  maxReconnectMs?: number;
}

export interface BlockHead {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

export interface EndpointStats {
  /** Exponentially weighted mean latency of successful requests, ms. */
  latencyMs: number;
  /** Errors (transport, timeout, 429, garbage, error envelopes) in the last minute. */
  recentErrors: number;
  consecutiveErrors: number;
  lastError: string | undefined;
  /** Until when (ms since epoch) the endpoint asked us to back off after a 429. */
  rateLimitedUntil: number;
}

const ERROR_WINDOW_MS = 60_000;

/**
 * One JSON-RPC endpoint, over HTTP or (for a `ws://` or `wss://` URL) over one WebSocket, with the statistics the
 * pool scores it by. Both transports fail with the same error types and count in the same statistics.
 */
export class Endpoint {
  readonly name: string;
  readonly url: string;
  readonly timeoutMs: number;
  /** The WebSocket connection, for a `ws://` or `wss://` endpoint (subscriptions go through it). */
  readonly socket: RpcSocket | undefined;
  head: BlockHead | undefined;
  readonly stats: EndpointStats = {
    latencyMs: 0,
    recentErrors: 0,
    consecutiveErrors: 0,
    lastError: undefined,
    rateLimitedUntil: 0,
  };
  private errorTimes: number[] = [];
  private nextId = 1;

  constructor(config: EndpointConfig) {
    this.name = config.name;
    this.url = config.url;
    this.timeoutMs = config.timeoutMs ?? 4_000;
    if (/^wss?:\/\//i.test(config.url)) {
      this.socket = new RpcSocket(config.name, config.url, {
        connectTimeoutMs: this.timeoutMs,
        minReconnectMs: 100,
        maxReconnectMs: config.maxReconnectMs ?? 5_000,
      });
    }
  }

  /** Closes the WebSocket, if any, for good. */
  close(): void {
    this.socket?.close();
  }

  /** Sends one request; records latency or the error; throws a typed {@link CordonError} on failure. */
  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    const started = performance.now();
    try {
      const result = await this.send<T>(method, params);
      this.recordSuccess(performance.now() - started);
      return result;
    } catch (error) {
      this.recordError(error);
      throw error;
    }
  }

  private async send<T>(method: string, params: unknown[]): Promise<T> {
    if (this.socket !== undefined) {
      const envelope = await this.socket.request(method, params, this.timeoutMs);
      return unwrap<T>(this.name, method, WS_STATUS, envelope, () => JSON.stringify(envelope));
    }
    let response: HttpAnswer;
    try {
      const body = JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params });
      response = await postJson(this.url, body, this.timeoutMs);
    } catch (error) {
      if (error instanceof HttpTimeout) throw new RpcTimeoutError(this.name, method, this.timeoutMs);
      throw new RpcTransportError(this.name, method, error);
    }
    const { text } = response;
    if (response.status === 429) {
      const retryAfter = Number(response.retryAfter ?? "1");
      throw new RpcRateLimitedError(this.name, method, Number.isFinite(retryAfter) ? retryAfter * 1000 : 1000);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RpcGarbageError(this.name, method, response.status, text);
    }
    return unwrap<T>(this.name, method, response.status, body, () => text);
  }

  private recordSuccess(latencyMs: number): void {
    this.stats.latencyMs = this.stats.latencyMs === 0 ? latencyMs : 0.8 * this.stats.latencyMs + 0.2 * latencyMs;
    this.stats.consecutiveErrors = 0;
    this.pruneErrors();
  }

  private recordError(error: unknown): void {
    const now = Date.now();
    this.errorTimes.push(now);
    this.stats.consecutiveErrors += 1;
    this.stats.lastError = error instanceof Error ? error.message.split("\n")[0] : String(error);
    if (error instanceof RpcRateLimitedError) this.stats.rateLimitedUntil = now + error.retryAfterMs;
    this.pruneErrors();
  }

  private pruneErrors(): void {
    const cutoff = Date.now() - ERROR_WINDOW_MS;
    while (this.errorTimes.length > 0 && this.errorTimes[0]! < cutoff) this.errorTimes.shift();
    this.stats.recentErrors = this.errorTimes.length;
  }
}

/** The result of a parsed JSON-RPC response, or the typed error it carries (or that it is not one). */
function unwrap<T>(endpoint: string, method: string, status: number, body: unknown, text: () => string): T {
  if (typeof body !== "object" || body === null || !("jsonrpc" in body)) {
    throw new RpcGarbageError(endpoint, method, status, text());
  }
  const envelope = body as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
  if (envelope.error !== undefined) {
    const code = typeof envelope.error.code === "number" ? envelope.error.code : -1;
    const message = typeof envelope.error.message === "string" ? envelope.error.message : "unknown error";
    throw new RpcResponseError(endpoint, method, code, message, envelope.error.data);
  }
  if (!("result" in envelope)) throw new RpcGarbageError(endpoint, method, status, text());
  return envelope.result as T;
}

/** Parses a JSON-RPC block object into a head, or throws if it is not one. */
export function parseHead(endpoint: string, block: unknown): BlockHead {
  const b = block as Record<string, unknown> | null;
  if (
    b === null ||
    typeof b !== "object" ||
    typeof b.number !== "string" ||
    typeof b.hash !== "string" ||
    typeof b.parentHash !== "string" ||
    typeof b.timestamp !== "string"
  ) {
    throw new RpcGarbageError(endpoint, "eth_getBlockByNumber", 200, JSON.stringify(block));
  }
  return { number: Number(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: Number(b.timestamp) };
}
