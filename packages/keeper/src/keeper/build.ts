/**
 * Turns a resolved config into the pipeline's parts: an RPC pool per network, detectors per protocol (built-in
 * kinds, or a team's own module), and the response each detector's action asks for.
 */
import type { KeeperConfig, ResolvedDetector, ResolvedNetwork, ResolvedProtocol } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import { kindOf } from "../config/kinds.js";
import { DETECTOR_KINDS } from "../detectors/kinds/index.js";
import type { Detector, Response } from "../detectors/index.js";
import { RpcPool } from "../rpc/pool.js";

export function buildPool(network: ResolvedNetwork, secrets: Secrets): RpcPool {
  const urls = secrets.urls.get(network.name)!;
  return new RpcPool({
    endpoints: network.endpoints.map((e) => ({ name: e.name, url: urls.get(e.name)!, timeoutMs: e.timeoutMs })),
    quorum: network.quorum,
    maxLagBlocks: network.maxLagBlocks,
  });
}

/** The response a detector's configured action asks for; undefined when it has none. */
export function responseOf(detector: ResolvedDetector): Response | undefined {
  return detector.action?.response;
}

export type { DetectorModuleContext } from "../detectors/kinds/index.js";

/**
 * Builds one configured detector through its kind in the registry (`detectors/kinds/`); `keepers` are the addresses
 * of the config's keys (what they do on the hub is the keeper's own doing).
 */
export async function buildDetector(
  config: KeeperConfig,
  protocol: ResolvedProtocol,
  detector: ResolvedDetector,
  keepers: string[] = [],
): Promise<Detector> {
  const kind = kindOf(DETECTOR_KINDS, detector.config.kind);
  return kind.build(detector.config as never, {
    id: detector.id,
    name: detector.name,
    protocol,
    addresses: detector.addresses,
    response: responseOf(detector),
    hasAction: detector.action !== undefined,
    configDir: config.dir,
    keepers,
  });
}
