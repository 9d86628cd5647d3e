/**
 * The keeper's operations endpoint (node:http, loopback by default): `/metrics` for Prometheus, `/healthz` (the
 * process runs and its loops tick) and `/readyz` (every network has a quorum of healthy endpoints and is caught up),
 * each answering JSON with the reasons when it is not OK.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { Registry } from "prom-client";

export interface Check {
  ok: boolean;
  /** Why not, in words (one per failing part). */
  reasons: string[];
}

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  live: () => Check;
  ready: () => Check;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    const route = (request.url ?? "/").split("?")[0];
    const answer = (check: Check) => {
      response.writeHead(check.ok ? 200 : 503, { "content-type": "application/json" });
      response.end(JSON.stringify({ status: check.ok ? "ok" : "unavailable", reasons: check.reasons }));
    };
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET" }).end();
    } else if (route === "/metrics") {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else if (route === "/healthz") {
      answer(options.live());
    } else if (route === "/readyz") {
      answer(options.ready());
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("routes: /metrics /healthz /readyz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
