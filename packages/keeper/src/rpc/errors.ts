import { CordonError } from "../errors.js";

/** The endpoint could not be reached, or the connection broke (down, refused, reset, DNS). Retry may work. */
export class RpcTransportError extends CordonError {
  override name = "RpcTransportError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    cause: unknown,
  ) {
    super(`${endpoint}: ${method} failed to reach the node`, { cause, retryable: true, details: String(cause) });
  }
}

/** The endpoint did not answer within the timeout. Retry may work. */
export class RpcTimeoutError extends CordonError {
  override name = "RpcTimeoutError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${endpoint}: ${method} timed out after ${timeoutMs} ms`, { retryable: true });
  }
}

/** HTTP 429: the provider asks us to slow down. Retry after `retryAfterMs`. */
export class RpcRateLimitedError extends CordonError {
  override name = "RpcRateLimitedError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly retryAfterMs: number,
  ) {
    super(`${endpoint}: ${method} was rate-limited (HTTP 429); retry after ${retryAfterMs} ms`, { retryable: true });
  }
}

/** The endpoint answered with something that is not a JSON-RPC response (an HTML error page, truncated JSON). */
export class RpcGarbageError extends CordonError {
  override name = "RpcGarbageError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly status: number,
    readonly bodyStart: string,
  ) {
    super(`${endpoint}: ${method} returned a response that is not JSON-RPC (HTTP ${status})`, {
      retryable: true,
      details: `body starts with: ${JSON.stringify(bodyStart.slice(0, 120))}`,
    });
  }
}

/** A JSON-RPC error envelope. Node-side conditions (missing header, limits) are retryable on another endpoint. */
export class RpcResponseError extends CordonError {
  override name = "RpcResponseError";
  constructor(
    readonly endpoint: string,
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data?: unknown,
  ) {
    super(`${endpoint}: ${method} returned error ${code}: ${rpcMessage}`, { retryable: code !== 3 });
  }
}

/** Every endpoint is unhealthy or failed this request. */
export class NoHealthyEndpointError extends CordonError {
  override name = "NoHealthyEndpointError";
  constructor(
    readonly method: string,
    readonly failures: { endpoint: string; error: string }[],
  ) {
    super(`no endpoint could answer ${method}`, {
      retryable: true,
      details: failures.map((f) => `${f.endpoint}: ${f.error}`).join("; ") || "no endpoint is healthy",
    });
  }
}

/** Not enough endpoints agreed on a critical read. */
export class QuorumNotReachedError extends CordonError {
  override name = "QuorumNotReachedError";
  constructor(
    readonly method: string,
    readonly quorum: number,
    readonly groups: { endpoints: string[]; result: string }[],
  ) {
    super(`fewer than ${quorum} endpoints agree on ${method}`, {
      retryable: true,
      details: groups.map((g) => `[${g.endpoints.join(", ")}] -> ${g.result.slice(0, 80)}`).join("; "),
    });
  }
}
