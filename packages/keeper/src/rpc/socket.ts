/**
 * One JSON-RPC connection over a WebSocket (Node's global `WebSocket` client): requests matched to answers by id,
 * subscription notifications handed to listeners, and reconnection with exponential backoff whenever the socket
 * drops, so subscribers can subscribe again on `open`. Failures carry the same error types as HTTP: a socket that
 * cannot be opened or drops mid-request is a transport error, a request left unanswered a timeout, a message that is
 * not JSON-RPC garbage (the stream can no longer be trusted, so the socket is reset).
 */
import { EventEmitter } from "node:events";

import { RpcGarbageError, RpcTimeoutError, RpcTransportError } from "./errors.js";

/** The status a garbage error reports for a WebSocket message (the connection's HTTP status, 101). */
export const WS_STATUS = 101;

interface Pending {
  method: string;
  resolve: (body: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface SocketEvents {
  /** The socket is open (the first time or after a reconnection); subscriptions must be made again. */
  open: [];
  /** The socket closed; every subscription on it is gone. */
  close: [reason: string];
  /** An `eth_subscription` notification. */
  notification: [subscription: string, result: unknown];
}

export class RpcSocket extends EventEmitter<SocketEvents> {
  private socket: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    readonly endpoint: string,
    readonly url: string,
    private readonly options: { connectTimeoutMs: number; minReconnectMs: number; maxReconnectMs: number },
  ) {
    super();
    this.reconnectDelayMs = options.minReconnectMs;
  }

  /** Whether the socket is open now. */
  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one request and resolves with its JSON-RPC envelope (result or error, unparsed). Opens the socket on first
   * use; while it is down and waiting to reconnect, fails at once with a transport error.
   */
  async request(method: string, params: unknown[], timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    const socket = await this.connected(method, timeoutMs);
    const id = this.nextId++;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new RpcTimeoutError(this.endpoint, method, timeoutMs));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.pending.set(id, { method, resolve, reject, timer });
      try {
        socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
      } catch (error) {
        this.settle(id)?.reject(new RpcTransportError(this.endpoint, method, error));
      }
    });
  }

  /** Starts connecting (if not already) and keeps reconnecting until {@link close}. */
  connect(): void {
    if (this.closed || this.socket !== undefined || this.opening !== undefined) return;
    if (this.reconnectTimer !== undefined) return; // a reconnection is scheduled
    this.opening = this.open();
    this.opening.catch(() => {}); // reported to the requests waiting on it, and by the scheduled reconnection
  }

  /** Closes the socket for good: pending requests fail, no reconnection. */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.dropped(this.socket, "closed by the watcher");
  }

  /** Closes the socket as if it dropped (it reconnects): for a stream that can no longer be trusted. */
  reset(reason: string): void {
    this.dropped(this.socket, reason);
  }

  private async connected(method: string, timeoutMs: number): Promise<WebSocket> {
    if (this.closed) throw new RpcTransportError(this.endpoint, method, new Error("the socket was closed"));
    if (this.socket !== undefined && this.socket.readyState === WebSocket.OPEN) return this.socket;
    this.connect();
    if (this.opening === undefined) {
      throw new RpcTransportError(
        this.endpoint,
        method,
        new Error(`the WebSocket is down; reconnecting within ${this.reconnectDelayMs} ms`),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RpcTimeoutError(this.endpoint, method, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([this.opening, timeout]);
    } catch (error) {
      if (error instanceof RpcTimeoutError) throw error;
      throw new RpcTransportError(this.endpoint, method, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private async open(): Promise<WebSocket> {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("message", (event) => this.onMessage(socket, event.data));
    socket.addEventListener("close", (event) => this.dropped(socket, `socket closed (code ${event.code})`));
    // A refused connection fires only "error" (no "close"); an open socket's error is followed by "close".
    socket.addEventListener("error", () => this.dropped(socket, "socket error (refused, reset or not a WebSocket)"));
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (reason: string) => {
          clearTimeout(timer);
          reject(new Error(reason));
        };
        const timer = setTimeout(() => {
          fail(`not open after ${this.options.connectTimeoutMs} ms`);
          this.dropped(socket, "connection timed out");
        }, this.options.connectTimeoutMs);
        socket.addEventListener("open", () => (clearTimeout(timer), resolve()), { once: true });
        socket.addEventListener("close", () => fail("connection closed"), { once: true });
        socket.addEventListener("error", () => fail("connection refused or failed"), { once: true });
      });
    } finally {
      this.opening = undefined;
    }
    if (socket !== this.socket) throw new Error("connection closed as it opened");
    this.reconnectDelayMs = this.options.minReconnectMs;
    this.emit("open");
    return socket;
  }

  /** The socket is gone: fail what waits on it, tell subscribers, and schedule a reconnection. */
  private dropped(socket: WebSocket | undefined, reason: string): void {
    if (socket === undefined || socket !== this.socket) return; // already handled
    this.socket = undefined;
    if (socket.readyState !== WebSocket.CLOSED) socket.close();
    for (const id of [...this.pending.keys()]) {
      const pending = this.settle(id)!;
      pending.reject(new RpcTransportError(this.endpoint, pending.method, new Error(reason)));
    }
    this.emit("close", reason);
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.options.maxReconnectMs, this.reconnectDelayMs * 2);
  }

  private onMessage(socket: WebSocket, data: unknown): void {
    if (socket !== this.socket) return;
    const text = typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      // Nothing says which request this answers: fail them all and start a fresh stream.
      for (const id of [...this.pending.keys()]) {
        const pending = this.settle(id)!;
        pending.reject(new RpcGarbageError(this.endpoint, pending.method, WS_STATUS, text));
      }
      this.reset("the node sent a message that is not JSON-RPC");
      return;
    }
    const message = body as Record<string, unknown>;
    if (message.method === "eth_subscription") {
      const params = message.params as { subscription?: unknown; result?: unknown } | undefined;
      if (typeof params?.subscription === "string") this.emit("notification", params.subscription, params.result);
      return;
    }
    const pending = typeof message.id === "number" ? this.settle(message.id) : undefined;
    pending?.resolve(message);
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (pending === undefined) return undefined;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }
}
