/**
 * A webhook receiver on loopback (a random port) standing in for Slack, Discord, PagerDuty or a team's endpoint:
 * records every request and answers what the test's `reply` says (a status, headers, a body, after a delay).
 */
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  /** ms since epoch when the body was read. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this many ms. */
  delayMs?: number;
}

export class HttpReceiver {
  readonly received: ReceivedRequest[] = [];
  /** Decides each answer; `n` counts requests from 0. Default: 200 "ok". */
  reply: (request: ReceivedRequest, n: number) => Reply = () => ({});
  private server: Server | undefined;
  private base = "";
  private waiters: (() => void)[] = [];
  private timers = new Set<NodeJS.Timeout>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const request = {
          at: Date.now(),
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        const reply = this.reply(request, this.received.length);
        this.received.push(request);
        for (const wake of this.waiters.splice(0)) wake();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          res.writeHead(reply.status ?? 200, reply.headers ?? {});
          res.end(reply.body ?? "ok");
        }, reply.delayMs ?? 0);
        this.timers.add(timer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The receiver's URL with `path` (which tests fill with fake secrets, as real webhook URLs carry them). */
  url(path = "/"): string {
    return `${this.base}${path}`;
  }

  /** The bodies received so far, parsed. */
  json<T = Record<string, unknown>>(): T[] {
    return this.received.map((r) => JSON.parse(r.body) as T);
  }

  /** Resolves once `count` requests arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} requests, got ${this.received.length} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops every connection whose answer is still delayed (the client sees a network error). */
  hangUp(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server?.closeAllConnections();
  }

  async stop(): Promise<void> {
    this.hangUp();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}
