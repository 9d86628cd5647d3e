/**
 * A JSON-RPC proxy on loopback whose answers a test rewrites with a function: the lies a fixed fault mode cannot tell
 * (a header that keeps its hash and changes its state root, a proof whose claimed value differs from what it proves,
 * other code for a contract, yesterday's digest). `tamper` sees each request and the node's result and returns the
 * result to send; by default it sends the node's. Requests reach the node in order, so answers are those of one
 * chain state.
 */
import { createServer, type Server } from "node:http";

import { freePort } from "./hardhat-node.js";

export type Tamper = (method: string, params: unknown[], result: unknown) => unknown;

interface RpcRequest {
  jsonrpc: "2.0";
  id: unknown;
  method: string;
  params?: unknown[];
}

export class TamperProxy {
  tamper: Tamper | undefined;
  readonly calls = new Map<string, number>();
  url = "";
  private server: Server | undefined;

  constructor(
    readonly upstream: string,
    readonly name = "tamper",
  ) {}

  async start(): Promise<this> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        void (async () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
            const requests = Array.isArray(body) ? body : [body];
            const answers = await Promise.all(requests.map((r) => this.answer(r)));
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
          } catch {
            if (!res.headersSent) res.writeHead(502).end();
          }
        })();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  private async answer(request: RpcRequest): Promise<unknown> {
    this.calls.set(request.method, this.count(request.method) + 1);
    const upstream = await fetch(this.upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    const answer = (await upstream.json()) as { result?: unknown; error?: unknown; id: unknown };
    if (this.tamper !== undefined && answer.result !== undefined) {
      answer.result = this.tamper(request.method, request.params ?? [], answer.result);
    }
    return answer;
  }
}
