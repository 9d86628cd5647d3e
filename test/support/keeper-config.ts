/**
 * The keeper config the keeper-process tests run (test/keeper/): the sample protocol on a test chain, watched
 * through the given endpoints (the last one over WebSocket), a large-withdrawal detector that pauses and the vault's
 * invariant, metrics on `metricsPort`, and optionally a webhook alert channel.
 */
import type { TestChain } from "@cordon/testkit/chain.js";
import type { SampleProtocol } from "./protocol.js";

export function keeperConfig(
  chain: TestChain,
  protocol: SampleProtocol,
  dataDir: string,
  metricsPort: number,
  webhook?: string,
  endpoints: { name: string; url: string }[] = chain.proxies,
  detectors: string[] = ["big-withdrawal", "vault-invariant"],
): string {
  return `# written by the test, as a keeper would
dataDir: ${dataDir}
networks:
  local:
    chainId: 31337
    endpoints:
${endpoints
  // The last endpoint speaks WebSocket: new heads by subscription, requests over the same socket.
  .map(
    (p, i, all) =>
      `      - { name: ${p.name}, url: "${i === all.length - 1 ? p.url.replace("http", "ws") : p.url}", timeoutMs: 1000 }`,
  )
  .join("\n")}
    pollIntervalMs: 100
    startBlock: latest
keys:
  guardian: { env: CORDON_GUARDIAN_KEY }
protocols:
  vault:
    network: local
    hub: "${String(protocol.hub.target)}"
    contracts:
      usdc: "${String(protocol.token.target)}"
      vault: "${String(protocol.vault.target)}"
    detectors: [${detectors.join(", ")}]
${webhook === undefined ? "" : "    alerts: [ops]\nalerts:\n  ops: { kind: webhook, url: { env: OPS_WEBHOOK_URL }, secret: { env: OPS_WEBHOOK_SECRET } }"}
detectors:
  big-withdrawal:
    kind: large-transfer
    token: usdc
    from: vault
    threshold: 500e18
    severity: critical
    action: pause-all
  vault-invariant:
    kind: invariant
    target: vault
actions:
  pause-all:
    kind: pause
    reason: drain
    key: guardian
metrics: { port: ${metricsPort} }
`;
}

/** GETs `url`: its status and body, or status 0 and the error. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url);
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}

/** Reads until `ok` holds or `timeoutMs` passes; returns the last value read. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}
