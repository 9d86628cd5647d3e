/**
 * `--replay <block>`: evaluates one block with every configured detector and returns the findings, without acting,
 * alerting or touching the store. The block and its logs come through the same RPC pool as in a run.
 */
import type { KeeperConfig, ResolvedNetwork } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import type { Detector, DetectorFinding } from "../detectors/types.js";
import { CordonError } from "../errors.js";
import { toLog } from "../follower/follower.js";
import { parseHead } from "../rpc/endpoint.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";
import { buildDetector, buildPool } from "./build.js";

export interface ReplayResult {
  network: string;
  block: number;
  hash: string;
  logs: number;
  findings: DetectorFinding[];
}

export async function replayBlock(config: KeeperConfig, secrets: Secrets, block: number): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const network of config.networks) {
    const pool = buildPool(network, secrets);
    try {
      results.push(await replayNetwork(config, secrets, network, pool, block));
    } finally {
      pool.close();
    }
  }
  return results;
}

async function replayNetwork(
  config: KeeperConfig,
  secrets: Secrets,
  network: ResolvedNetwork,
  pool: RpcPool,
  block: number,
): Promise<ReplayResult> {
  await pool.refresh();
  const raw = await pool.request<unknown>("eth_getBlockByNumber", [hexNumber(block), false]);
  if (raw === null) {
    throw new CordonError(`--replay ${block}: ${network.name} has no block ${block} yet`, {
      details: `the newest block a quorum agrees on is ${pool.agreedHead?.number ?? "unknown"}; pass a block at or below it`,
    });
  }
  const head = parseHead("pool", raw);
  const keepers = [...secrets.keys.values()].map((key) => key.address);
  const detectors: Detector[] = [];
  for (const protocol of network.protocols) {
    for (const resolved of protocol.detectors) detectors.push(await buildDetector(config, protocol, resolved, keepers));
  }
  // The contracts the config names and those each detector follows (the hub-events detector's hub).
  const addresses = [
    ...new Set([
      ...network.protocols.flatMap((p) => p.detectors.flatMap((d) => Object.values(d.addresses))),
      ...detectors.flatMap((d) => d.addresses ?? []),
    ]),
  ];
  const rawLogs = await pool.request<Record<string, string | string[] | boolean>[]>("eth_getLogs", [
    { address: addresses, blockHash: head.hash },
  ]);
  const logs = rawLogs.filter((l) => l.removed !== true).map(toLog);
  const range = { from: block, to: block, head, logs };
  const findings: DetectorFinding[] = [];
  for (const detector of detectors) findings.push(...(await detector.evaluate({ pool, range })));
  return { network: network.name, block, hash: head.hash, logs: logs.length, findings };
}
