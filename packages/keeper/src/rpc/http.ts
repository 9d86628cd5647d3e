/**
 * JSON-RPC over HTTP with Node's own `http`/`https` clients and keep-alive agents. Not `fetch`: its first call loads
 * undici (and an `import` of `node:http` does too, through the module's lazy getters), about 100 ms before a
 * restarted keeper's first request can leave. The modules are taken with `process.getBuiltinModule`, which does not
 * touch those getters.
 */
import type * as Http from "node:http";
import type * as Https from "node:https";

export interface HttpAnswer {
  status: number;
  text: string;
  /** The `retry-after` header, if any. */
  retryAfter: string | undefined;
}

/** The request took longer than its timeout. */
export class HttpTimeout extends Error {
  override name = "TimeoutError";
}

const http = process.getBuiltinModule("node:http") as typeof Http;
const https = process.getBuiltinModule("node:https") as typeof Https;
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};
// An idle kept-alive connection does not hold the process open (fetch's pool does not either); one in use does.
for (const agent of Object.values(agents)) agent.on("free", (socket: { unref(): void }) => socket.unref());

/** POSTs `body` as JSON; resolves with the status and the whole body, rejects on a transport error or the timeout. */
export function postJson(url: string, body: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : target.protocol === "http:" ? http : undefined;
    if (client === undefined) {
      reject(new Error(`unsupported URL scheme ${target.protocol}`));
      return;
    }
    const request = client.request(target, {
      method: "POST",
      agent: agents[target.protocol as "http:" | "https:"],
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => request.destroy(new HttpTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.once("socket", (socket) => socket.ref());
    request.once("error", fail);
    request.once("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("error", fail);
      response.once("aborted", () => fail(new Error("the response was cut off")));
      response.once("end", () => {
        clearTimeout(timer);
        const retryAfter = response.headers["retry-after"];
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(chunks).toString("utf8"),
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        });
      });
    });
    request.end(body);
  });
}
