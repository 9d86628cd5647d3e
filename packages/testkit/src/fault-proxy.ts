/**
 * A JSON-RPC proxy on loopback that forwards to a real node and injects faults on demand: down, slow, stale (serving
 * an old head), lying (wrong block hashes and state), rate-limited (HTTP 429), garbage bodies, error envelopes, logs
 * omitted from `eth_getLogs` and any rewrite of results a test supplies.
 * Tests flip its `fault` at run time and read `calls` to see what reached it. A lying proxy given `methods` lies only
 * in those methods' answers (e.g. state reads, while it agrees on blocks and so stays in the quorum).
 *
 * WebSocket upgrades on the same port are piped byte for byte to the node over TCP (see `wsUrl`), with the faults
 * that make sense below the message level: down (upgrades refused, live sockets cut on their next byte), slow (each
 * chunk to the node delayed) and garbage (each chunk to the node swallowed and answered with a text frame that is not
 * JSON-RPC) and silent-subscription (the node's subscription notifications swallowed, everything else forwarded;
 * the node's side is split into whole frames for it, see {@link ServerFrames}). Other faults pass WebSocket traffic
 * through. `dropSockets()` cuts every live WebSocket at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";

import { freePort } from "./hardhat-node.js";

export type Fault =
  | { kind: "none" }
  | { kind: "down" }
  | { kind: "slow"; delayMs: number }
  | { kind: "stale"; head: number }
  | { kind: "lying"; methods?: string[] }
  | { kind: "rate-limited" }
  | { kind: "garbage" }
  | { kind: "error-envelope" }
  /**
   * Claims a head `by` blocks above the node's (a made-up block: the real latest one renumbered, with a forged hash),
   * and lies in the answers of `lieIn`, as a node that wants to be preferred and then steer reads would.
   */
  | { kind: "ahead"; by: number; lieIn?: string[] }
  /** Answers `methods` with an execution revert carrying `data` (e.g. a simulation that says "already done"). */
  | { kind: "reverting"; methods: string[]; data: string }
  /**
   * Omits logs from its `eth_getLogs` answers, everything else honest: every log, or (with `latest`) only those of
   * the node's newest `latest` blocks, as a load-balanced provider whose nodes are slightly out of sync does.
   */
  | { kind: "omit-logs"; latest?: number }
  /** Rewrites the node's result of every request with `rewrite` (for lies no fixed mode tells). */
  | { kind: "rewrite"; rewrite: (method: string, params: unknown[], result: unknown) => unknown }
  /**
   * WebSocket only: keeps the socket open and answering requests, but swallows the node's `eth_subscription`
   * notifications: all of them, or (with `afterMs`) each subscription's from `afterMs` after its first notification
   * on, as a `hardhat node` does 300 s after a subscription was made (a new subscription is delivered again).
   */
  | { kind: "silent-subscription"; afterMs?: number };

interface RpcRequest {
  jsonrpc: "2.0";
  id: unknown;
  method: string;
  params?: unknown[];
}

const HEAD_TAGS = new Set(["latest", "pending", "safe", "finalized"]);
const hex = (n: number) => `0x${n.toString(16)}`;

/** Flips the last hex digit of a 0x-string: a plausible but wrong value. */
export function corrupt(value: string): string {
  const last = value.at(-1) ?? "0";
  return value.slice(0, -1) + (last === "0" ? "1" : "0");
}

/** An unmasked server-to-client WebSocket text frame (payloads under 126 bytes). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/**
 * The node's side of a piped WebSocket, split into the units a fault can drop: the HTTP upgrade response, then whole
 * frames (a frame split across TCP chunks waits for its rest; a chunk of several frames gives each). A message
 * fragmented over several frames comes out as one unit of all its frames, with control frames sent between them
 * passed on at once. Frames are never altered, so what is forwarded is the node's bytes unchanged.
 */
export class ServerFrames {
  private buffer: Buffer = Buffer.alloc(0);
  private upgraded = false;
  /** A fragmented message so far: its frames, their payloads, and whether it is readable text. */
  private fragments: { frames: Buffer[]; payloads: Buffer[]; text: boolean } | undefined;

  /**
   * Takes the next chunk from the node; returns the units it completes, each with the text of its message when it
   * is a text message (undefined for the upgrade response, control and binary frames, and compressed frames).
   */
  push(chunk: Buffer): { bytes: Buffer; text?: string }[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const units: { bytes: Buffer; text?: string }[] = [];
    if (!this.upgraded) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) return units;
      units.push({ bytes: this.buffer.subarray(0, end + 4) });
      this.buffer = this.buffer.subarray(end + 4);
      this.upgraded = true;
    }
    for (;;) {
      const frame = this.nextFrame();
      if (frame === undefined) break;
      const { bytes, fin, opcode, payload, compressed } = frame;
      if (opcode >= 0x8) {
        units.push({ bytes }); // a control frame (close, ping, pong), which may come between fragments
      } else if (opcode !== 0x0 && fin) {
        units.push({ bytes, text: opcode === 0x1 && !compressed ? payload.toString("utf8") : undefined });
      } else if (opcode !== 0x0) {
        this.fragments = { frames: [bytes], payloads: [payload], text: opcode === 0x1 && !compressed };
      } else if (this.fragments !== undefined) {
        const message = this.fragments;
        message.frames.push(bytes);
        message.payloads.push(payload);
        if (fin) {
          this.fragments = undefined;
          units.push({
            bytes: Buffer.concat(message.frames),
            text: message.text ? Buffer.concat(message.payloads).toString("utf8") : undefined,
          });
        }
      } else {
        units.push({ bytes }); // a continuation without a start: not ours to judge
      }
    }
    return units;
  }

  /** The next whole frame in the buffer (removed from it), or undefined until one is complete. */
  private nextFrame():
    { bytes: Buffer; fin: boolean; opcode: number; payload: Buffer; compressed: boolean } | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    const compressed = (b[0]! & 0x40) !== 0; // RSV1: permessage-deflate (not negotiated by the nodes we test)
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0; // never from a server, but harmless to read
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const keyAt = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return undefined;
    const bytes = b.subarray(0, offset + length);
    let payload = b.subarray(offset, offset + length);
    if (masked) {
      const key = b.subarray(keyAt, keyAt + 4);
      payload = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
    }
    this.buffer = b.subarray(offset + length);
    return { bytes, fin, opcode, payload, compressed };
  }
}

/** The subscription id of an `eth_subscription` notification's text, or undefined for any other message. */
function notificationOf(text: string | undefined): string | undefined {
  if (text === undefined || !text.includes("eth_subscription")) return undefined;
  try {
    const message = JSON.parse(text) as { method?: unknown; params?: { subscription?: unknown } };
    if (message.method !== "eth_subscription") return undefined;
    return typeof message.params?.subscription === "string" ? message.params.subscription : "";
  } catch {
    return undefined;
  }
}

export class FaultProxy {
  fault: Fault = { kind: "none" };
  /** Like many providers, refuse `eth_getLogs` over more than this many blocks (undefined: no limit). */
  maxLogRange: number | undefined;
  /** How many `eth_getLogs` requests were refused for exceeding `maxLogRange`. */
  refusedLogRanges = 0;
  readonly calls = new Map<string, number>();
  /** WebSocket connections accepted (each upgrade piped to the node). */
  wsConnections = 0;
  /** Subscription notifications the silent-subscription fault swallowed. */
  swallowedNotifications = 0;
  url = "";
  private server: Server | undefined;
  private port = 0;
  /** Live WebSockets: the client's socket and the proxy's connection to the node. */
  private readonly sockets = new Map<Duplex, Socket>();

  constructor(
    readonly upstream: string,
    readonly name = "proxy",
  ) {}

  async start(): Promise<this> {
    if (this.server !== undefined) return this;
    this.port = this.port || (await freePort());
    this.url = `http://127.0.0.1:${this.port}`;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    return this;
  }

  /** The proxy's address for WebSocket clients. */
  get wsUrl(): string {
    return this.url.replace(/^http/, "ws");
  }

  /**
   * Stops listening: new connections are refused and live WebSockets cut, as for a dead host. `start()` brings it
   * back on the same port.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    this.dropSockets();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts every live WebSocket (both sides), as a network blip would. Returns how many were cut. */
  dropSockets(): number {
    const cut = this.sockets.size;
    for (const [client, upstream] of this.sockets) {
      client.destroy();
      upstream.destroy();
    }
    this.sockets.clear();
    return cut;
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  /** Pipes a WebSocket upgrade to the node over TCP, replaying the upgrade request, with faults per chunk. */
  private upgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    if (this.fault.kind === "down") {
      client.destroy();
      return;
    }
    const target = new URL(this.upstream);
    const upstream = connect(Number(target.port), target.hostname);
    this.sockets.set(client, upstream);
    this.wsConnections += 1;
    const cut = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
    };
    client.on("close", cut).on("error", cut);
    upstream.on("close", cut).on("error", cut);
    upstream.once("connect", () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
    });
    client.on("data", (chunk: Buffer) => {
      const fault = this.fault;
      if (fault.kind === "down") return cut();
      if (fault.kind === "garbage") {
        client.write(textFrame("<html>502 Bad Gateway</html>"));
        return;
      }
      if (fault.kind === "slow") {
        setTimeout(() => upstream.destroyed || upstream.write(chunk), fault.delayMs);
        return;
      }
      upstream.write(chunk);
    });
    const frames = new ServerFrames();
    /** When each subscription's first notification passed, for `afterMs`. */
    const firstSeen = new Map<string, number>();
    upstream.on("data", (chunk: Buffer) => {
      if (this.fault.kind === "down") return cut();
      for (const unit of frames.push(chunk)) {
        const fault = this.fault;
        const subscription = notificationOf(unit.text);
        if (subscription !== undefined) {
          const first = firstSeen.get(subscription) ?? Date.now();
          firstSeen.set(subscription, first);
          if (fault.kind === "silent-subscription" && Date.now() - first >= (fault.afterMs ?? 0)) {
            this.swallowedNotifications += 1;
            continue;
          }
        }
        client.write(unit.bytes);
      }
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.handleUnsafe(req, res);
    } catch {
      // The upstream node went away (e.g. stopped at the end of a test): behave like a broken gateway.
      if (!res.headersSent) res.writeHead(502).end();
      else req.socket.destroy();
    }
  }

  private async handleUnsafe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fault = this.fault;
    let body: RpcRequest | RpcRequest[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
    } catch {
      res.writeHead(400).end();
      return;
    }
    const requests = Array.isArray(body) ? body : [body];
    for (const r of requests) this.calls.set(r.method, this.count(r.method) + 1);
    if (fault.kind === "down") {
      req.socket.destroy();
      return;
    }
    if (fault.kind === "rate-limited") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: 429, message: "Too Many Requests" } }));
      return;
    }
    if (fault.kind === "garbage") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>502 Bad Gateway</html>");
      return;
    }
    if (fault.kind === "slow") await new Promise((r) => setTimeout(r, fault.delayMs));
    const answers = await Promise.all(requests.map((r) => this.answer(r, fault)));
    if (this.server === undefined) {
      req.socket.destroy(); // stopped while the request was in flight
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
  }

  private async answer(request: RpcRequest, fault: Fault): Promise<unknown> {
    if (request.method === "eth_getLogs" && this.maxLogRange !== undefined) {
      const filter = (request.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      const span = Number(filter.toBlock ?? 0) - Number(filter.fromBlock ?? 0) + 1;
      if (span > this.maxLogRange) {
        this.refusedLogRanges += 1;
        return {
          jsonrpc: "2.0",
          id: request.id,
          error: { code: -32005, message: `query exceeds max block range ${this.maxLogRange}` },
        };
      }
    }
    if (fault.kind === "error-envelope") {
      return { jsonrpc: "2.0", id: request.id, error: { code: -32000, message: "header not found" } };
    }
    if (fault.kind === "reverting" && fault.methods.includes(request.method)) {
      return { jsonrpc: "2.0", id: request.id, error: { code: 3, message: "execution reverted", data: fault.data } };
    }
    if (fault.kind === "stale") {
      const stale = this.staleAnswer(request, fault.head);
      if (stale !== undefined) return { jsonrpc: "2.0", id: request.id, result: stale.result };
      request = { ...request, params: this.pinToHead(request, fault.head) };
    }
    const upstream = await fetch(this.upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    const answer = (await upstream.json()) as { result?: unknown; error?: unknown; id: unknown };
    if (fault.kind === "omit-logs" && request.method === "eth_getLogs" && Array.isArray(answer.result)) {
      answer.result = await this.omitLogs(answer.result as { blockNumber: string }[], fault.latest);
    }
    if (fault.kind === "rewrite" && answer.result !== undefined) {
      answer.result = fault.rewrite(request.method, request.params ?? [], answer.result);
    }
    if (fault.kind === "ahead" && answer.result !== undefined && answer.result !== null) {
      answer.result = this.ahead(request, answer.result, fault.by);
      if (fault.lieIn?.includes(request.method)) answer.result = this.lie(request.method, answer.result);
    }
    if (
      fault.kind === "lying" &&
      (fault.methods === undefined || fault.methods.includes(request.method)) &&
      answer.result !== undefined &&
      answer.result !== null
    ) {
      answer.result = this.lie(request.method, answer.result);
    }
    return answer;
  }

  /** The logs an omitting node returns: none, or none of the node's newest `latest` blocks. */
  private async omitLogs(logs: { blockNumber: string }[], latest: number | undefined): Promise<unknown[]> {
    if (latest === undefined) return [];
    const response = await fetch(this.upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
    });
    const head = Number(((await response.json()) as { result: string }).result);
    return logs.filter((log) => Number(log.blockNumber) <= head - latest);
  }

  /** For a node claiming to be ahead: the head it claims instead of the node's. */
  private ahead(request: RpcRequest, result: unknown, by: number): unknown {
    if (request.method === "eth_blockNumber") return hex(Number(result) + by);
    const tag = request.params?.[0];
    if (request.method === "eth_getBlockByNumber" && typeof tag === "string" && HEAD_TAGS.has(tag)) {
      const block = result as Record<string, unknown>;
      return { ...block, number: hex(Number(block.number) + by), hash: corrupt(String(block.hash)) };
    }
    return result;
  }

  /** For a stale node: answers that depend on the head, or undefined to forward (pinned). */
  private staleAnswer(request: RpcRequest, head: number): { result: unknown } | undefined {
    const params = request.params ?? [];
    if (request.method === "eth_blockNumber") return { result: hex(head) };
    if (request.method === "eth_getBlockByNumber") {
      const tag = params[0];
      if (typeof tag === "string" && !HEAD_TAGS.has(tag) && tag !== "earliest" && Number(tag) > head) {
        return { result: null };
      }
    }
    return undefined;
  }

  private pinToHead(request: RpcRequest, head: number): unknown[] | undefined {
    const params = [...(request.params ?? [])];
    const pin = (v: unknown) =>
      typeof v === "string" && (HEAD_TAGS.has(v) || (v.startsWith("0x") && Number(v) > head)) ? hex(head) : v;
    switch (request.method) {
      case "eth_getBlockByNumber":
        params[0] = pin(params[0]);
        break;
      case "eth_call":
      case "eth_getBalance":
      case "eth_getCode":
      case "eth_getTransactionCount":
        params[params.length - 1] = pin(params[params.length - 1] ?? "latest");
        break;
      case "eth_getStorageAt":
      case "eth_getProof":
        params[2] = pin(params[2] ?? "latest");
        break;
      case "eth_getLogs": {
        const filter = { ...(params[0] as Record<string, unknown>) };
        filter.toBlock = pin(filter.toBlock ?? "latest");
        params[0] = filter;
        break;
      }
    }
    return params;
  }

  private lie(method: string, result: unknown): unknown {
    switch (method) {
      case "eth_getBlockByNumber":
      case "eth_getBlockByHash": {
        const block = { ...(result as Record<string, unknown>) };
        if (typeof block.hash === "string") block.hash = corrupt(block.hash);
        if (typeof block.stateRoot === "string") block.stateRoot = corrupt(block.stateRoot);
        return block;
      }
      case "eth_call":
      case "eth_getStorageAt":
      case "eth_getBalance":
        return typeof result === "string" && result.length > 2 ? corrupt(result) : result;
      case "eth_getProof": {
        // Claims other slot values, and alters the proof's last node so that it still looks like a proof.
        const proof = result as { storageProof: { value: string; proof: string[] }[] };
        return {
          ...proof,
          storageProof: proof.storageProof.map((p) => ({
            ...p,
            value: corrupt(p.value),
            proof: p.proof.map((node, i) => (i === p.proof.length - 1 ? corrupt(node) : node)),
          })),
        };
      }
      default:
        return result;
    }
  }
}
