/**
 * Turns a resolved config into the pipeline's parts: an RPC pool per network, detectors per protocol (built-in
 * kinds, or a team's own module), and the response each detector's action asks for.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

import type { KeeperConfig, ResolvedDetector, ResolvedNetwork, ResolvedProtocol } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import {
  chainHaltDetector,
  type Detector,
  invariantDetector,
  largeTransferDetector,
  oracleDeviationDetector,
  outflowVolumeDetector,
  privilegedEventsDetector,
  type Response,
  rpcDivergenceDetector,
  tvlDropDetector,
} from "../detectors/index.js";
import { CordonError } from "../errors.js";
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
  const action = detector.action;
  if (action === undefined) return undefined;
  switch (action.kind) {
    case "pause":
      return { kind: "pause", reason: action.reasonCode! };
    case "pause-scopes":
      return {
        kind: "pauseScopes",
        scopes: action.scopes.reduce((mask, scope) => mask | (1n << BigInt(scope)), 0n),
        reason: action.reasonCode!,
      };
    case "trip-invariant":
      return { kind: "tripOnInvariant", target: action.resolvedTarget! };
  }
}

/** What a team's detector module's default export receives. */
export interface DetectorModuleContext {
  /** `<protocol>/<detector>`: use it as the detector's name. */
  name: string;
  protocol: string;
  hub: string;
  /** The protocol's named contracts. */
  contracts: Record<string, string>;
  options: Record<string, unknown>;
  response: Response | undefined;
}

export async function buildDetector(
  config: KeeperConfig,
  protocol: ResolvedProtocol,
  detector: ResolvedDetector,
): Promise<Detector> {
  const c = detector.config;
  const a = detector.addresses;
  const name = detector.id;
  const response = responseOf(detector);
  const severity = c.severity;
  switch (c.kind) {
    case "large-transfer":
      return largeTransferDetector({
        name,
        token: a.token!,
        from: a.from!,
        threshold: c.threshold,
        severity,
        response,
      });
    case "outflow-volume":
      return outflowVolumeDetector({
        name,
        token: a.token!,
        from: a.from!,
        windowBlocks: c.windowBlocks,
        threshold: c.threshold,
        severity,
        response,
      });
    case "invariant": {
      const built = invariantDetector({ name, target: a.target! });
      // The built-in response is the permissionless trip; a configured action replaces it.
      return response === undefined && detector.action === undefined ? built : withResponse(built, response, severity);
    }
    case "tvl-drop":
      return tvlDropDetector({
        name,
        token: a.token!,
        holder: a.holder!,
        windowBlocks: c.windowBlocks,
        dropPercent: c.dropPercent,
        severity,
        response,
      });
    case "oracle-deviation":
      return oracleDeviationDetector({
        name,
        feed: a.feed!,
        reference: a.reference!,
        maxDeviationBps: c.maxDeviationBps,
        maxAgeSeconds: c.maxAgeSeconds,
        severity,
        response,
      });
    case "privileged-events":
      return privilegedEventsDetector({
        name,
        contracts: c.contracts.map((_, i) => a[`contracts.${i}`]!),
        severity,
        response,
      });
    case "chain-halt":
      return chainHaltDetector({ name, maxSilenceSeconds: c.maxSilenceSeconds, severity, response });
    case "rpc-divergence":
      return rpcDivergenceDetector({ name, severity });
    case "module": {
      const file = path.resolve(config.dir, c.module);
      let factory: unknown;
      try {
        factory = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
      } catch (error) {
        throw new CordonError(`detectors.${detector.name}.module: cannot load ${file}`, {
          details: `${(error as Error).message.split("\n")[0]}. The path is relative to the config file.`,
          cause: error,
        });
      }
      if (typeof factory !== "function") {
        throw new CordonError(`detectors.${detector.name}.module: ${file} has no default export function`, {
          details: "export default (context) => ({ name: context.name, evaluate(...) { ... } })",
        });
      }
      const built = (await (factory as (ctx: DetectorModuleContext) => Detector | Promise<Detector>)({
        name,
        protocol: protocol.name,
        hub: protocol.hub,
        contracts: protocol.contracts,
        options: c.options,
        response,
      })) as Detector;
      if (typeof built?.evaluate !== "function" && typeof built?.poll !== "function") {
        throw new CordonError(`detectors.${detector.name}.module: ${file} did not return a detector`, {
          details: "the default export must return an object with `name` and `evaluate` (or `poll`)",
        });
      }
      return built;
    }
  }
}

/** Wraps a detector so its findings carry `response` (and `severity`, when given) instead of their own. */
function withResponse(
  detector: Detector,
  response: Response | undefined,
  severity: ResolvedDetector["config"]["severity"],
): Detector {
  return {
    ...detector,
    async evaluate(context) {
      const findings = await detector.evaluate(context);
      return findings.map((f) => ({ ...f, response, severity: severity ?? f.severity }));
    },
  };
}
