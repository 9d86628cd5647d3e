/**
 * The keeper service: for each network in the config, an RPC pool, a store, the protocols' detectors and
 * responders joined by a Watcher; around them, incidents in the store, alerts, Prometheus metrics, `/healthz` and
 * `/readyz`, structured logs, and a graceful stop (the current tick finishes; unfinished actions stay in the outbox
 * and are resumed by the next start).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";

import { parseUnits } from "ethers";

import type { KeeperConfig, ResolvedDetector, ResolvedNetwork, ResolvedProtocol } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import { isFullyOpen, readHubSync } from "../contracts/hub.js";
import type { Detector, DetectorFinding } from "../detectors/types.js";
import { CordonError } from "../errors.js";
import { KeeperMetrics } from "../ops/metrics.js";
import { type Check, type OpsServer, startOpsServer } from "../ops/http.js";
import type { Logger } from "../ops/logger.js";
import { Responder } from "../responder/responder.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import { Store } from "../store/store.js";
import { type TickResult, Watcher } from "../watcher/watcher.js";
import { buildDetector, buildPool } from "./build.js";
import type { Alert, Notifier } from "./alerts.js";

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface KeeperOptions {
  config: KeeperConfig;
  secrets: Secrets;
  logger: Logger;
  /** Where alerts go (built from the config's `alerts`); absent: none. */
  notifier?: Notifier;
  /** Overrides the config's `metrics` (e.g. port 0 in tests); `false` disables the ops server. */
  ops?: { host: string; port: number } | false;
  /** The metrics to record into (shared with the notifier); default: new ones. */
  metrics?: KeeperMetrics;
}

interface NetworkRuntime {
  network: ResolvedNetwork;
  pool: RpcPool;
  store: Store;
  watcher: Watcher;
  responders: Responder[];
  lastTickAt: number;
  lastTickOkAt: number;
  lastError: string | undefined;
  /** Open incidents during which a quorum has seen the hub not fully open (paused by anyone). */
  seenClosed: Set<number>;
}

export class Keeper {
  readonly metrics: KeeperMetrics;
  ops: OpsServer | undefined;
  private readonly runtimes: NetworkRuntime[] = [];
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  private constructor(private readonly options: KeeperOptions) {
    this.metrics = options.metrics ?? new KeeperMetrics();
  }

  /** Builds every network's pipeline, checks the endpoints serve the configured chains, and starts the ops server. */
  static async start(options: KeeperOptions): Promise<Keeper> {
    const keeper = new Keeper(options);
    try {
      for (const network of options.config.networks) keeper.runtimes.push(await keeper.buildNetwork(network));
      const ops = options.ops ?? options.config.raw.metrics;
      if (ops !== undefined && ops !== false) {
        keeper.ops = await startOpsServer({
          ...ops,
          registry: keeper.metrics.registry,
          live: () => keeper.live(),
          ready: () => keeper.ready(),
        });
        options.logger.info({ event: "ops-listening", url: keeper.ops.url }, "metrics, healthz and readyz listening");
      }
    } catch (error) {
      await keeper.close();
      throw error;
    }
    keeper.running = Promise.all(keeper.runtimes.map((r) => keeper.runNetwork(r))).then(() => undefined);
    return keeper;
  }

  /** Resolves when every network's loop has stopped. */
  get done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Stops after the current tick, flushes alerts, closes stores and the ops server. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
    await this.close();
  }

  private closing: Promise<void> | undefined;

  private close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await this.options.notifier?.close();
    await this.ops?.close();
    for (const r of this.runtimes) {
      r.pool.close(); // WebSocket endpoints hold sockets open
      r.store.close();
    }
  }

  live(): Check {
    const now = Date.now();
    const reasons = this.runtimes
      .filter((r) => now - Math.max(r.lastTickAt, this.startedAt) > 60_000)
      .map(
        (r) => `${r.network.name}: no tick for ${Math.round((now - Math.max(r.lastTickAt, this.startedAt)) / 1000)} s`,
      );
    return { ok: reasons.length === 0, reasons };
  }

  ready(): Check {
    const now = Date.now();
    const reasons: string[] = [];
    for (const r of this.runtimes) {
      const name = r.network.name;
      const healthy = r.pool.healthy().length;
      if (healthy < r.pool.quorum) reasons.push(`${name}: ${healthy} healthy endpoints, quorum is ${r.pool.quorum}`);
      const stale = Math.max(10_000, 5 * (r.network.pollIntervalMs ?? 1_000));
      if (now - r.lastTickOkAt > stale) {
        reasons.push(
          `${name}: no successful tick for ${Math.round((now - r.lastTickOkAt) / 1000)} s${r.lastError ? ` (${r.lastError})` : ""}`,
        );
      }
      const cursor = r.store.cursor()?.number;
      const head = r.pool.agreedHead?.number;
      if (cursor !== undefined && head !== undefined && head - cursor > r.pool.maxLagBlocks) {
        reasons.push(`${name}: catching up, ${head - cursor} blocks behind`);
      }
    }
    return { ok: reasons.length === 0, reasons };
  }

  private async buildNetwork(network: ResolvedNetwork): Promise<NetworkRuntime> {
    const { config, secrets, logger } = this.options;
    const log = logger.child({ network: network.name });
    const pool = buildPool(network, secrets);
    await checkChainIds(pool, network, log);

    mkdirSync(config.dataDir, { recursive: true });
    const store = new Store(path.join(config.dataDir, `${network.name}.db`), network.chainId);

    const detectors: Detector[] = [];
    const route = new Map<string, { protocol: ResolvedProtocol; responder: Responder | undefined }>();
    const responders = new Map<string, Responder>();
    for (const protocol of network.protocols) {
      for (const detector of protocol.detectors) {
        detectors.push(await buildDetector(config, protocol, detector));
        route.set(detector.id, {
          protocol,
          responder: this.responderFor(protocol, detector, pool, store, responders, log),
        });
      }
      // A detector with a built-in response and no action of its own (the invariant detector's permissionless
      // trip) is acted on with the protocol's first key, if it has one.
      const fallback = protocol.detectors.map((d) => route.get(d.id)?.responder).find((r) => r !== undefined);
      for (const detector of protocol.detectors) {
        const entry = route.get(detector.id)!;
        entry.responder ??= fallback;
      }
    }

    let startBlock: number;
    if (network.startBlock === "latest" && store.cursor() !== undefined) {
      // A restart: the follower goes on from the store's cursor, and its first tick reads the heads anyway.
      startBlock = store.cursor()!.number + 1;
    } else if (network.startBlock === "latest") {
      await pool.refresh();
      const head = pool.agreedHead?.number;
      if (head === undefined && store.cursor() === undefined) {
        throw new CordonError(`networks.${network.name}: no quorum of endpoints agrees on a head block`, {
          details: `startBlock is "latest" and the store has no cursor yet; check that ${pool.quorum} endpoints are reachable`,
          retryable: true,
        });
      }
      startBlock = head ?? 0;
    } else {
      startBlock = network.startBlock;
    }

    const respondAt = config.raw.respondAt;
    const runtime: NetworkRuntime = {
      network,
      pool,
      store,
      responders: [...responders.values()],
      lastTickAt: 0,
      lastTickOkAt: Date.now(),
      lastError: undefined,
      seenClosed: new Set(),
      watcher: undefined as unknown as Watcher,
    };
    runtime.watcher = new Watcher({
      pool,
      store,
      detectors,
      addresses: [...new Set(network.protocols.flatMap((p) => p.detectors.flatMap((d) => Object.values(d.addresses))))],
      startBlock,
      respondAt,
      maxRange: network.maxLogRange,
      pollIntervalMs: network.pollIntervalMs,
      // Called right before a finding is acted on: the incident opens at detection time, not after the receipt.
      responder: (finding) => {
        const target = route.get(finding.detector);
        if (target === undefined) return undefined;
        const { incident, created } = store.openIncident(target.protocol.name, target.protocol.hub, finding);
        if (created)
          log.warn(
            {
              event: "incident-opened",
              incident: incident.id,
              protocol: target.protocol.name,
              detector: finding.detector,
              block: finding.blockNumber,
            },
            finding.summary,
          );
        return target.responder;
      },
      log: (event, fields) => log.info({ event, ...fields }),
      onTick: (result, error) => this.afterTick(runtime, route, result, error),
    });
    log.info(
      {
        event: "network-ready",
        chainId: network.chainId,
        endpoints: network.endpoints.map((e) => e.name),
        detectors: detectors.map((d) => d.name),
        startBlock,
        cursor: store.cursor()?.number,
        // Milliseconds since the process started: what a restart costs before the keeper can act again.
        sinceProcessStartMs: Math.round(performance.now()),
      },
      `watching ${network.protocols.length} protocol(s) with ${detectors.length} detector(s)`,
    );
    return runtime;
  }

  private responderFor(
    protocol: ResolvedProtocol,
    detector: ResolvedDetector,
    pool: RpcPool,
    store: Store,
    responders: Map<string, Responder>,
    log: Logger,
  ): Responder | undefined {
    const action = detector.action;
    if (action === undefined) return undefined;
    const id = `${protocol.name}:${action.key}`;
    const existing = responders.get(id);
    if (existing !== undefined) return existing;
    const wallet = this.options.secrets.keys.get(action.key)!;
    const network = this.options.config.networks.find((n) => n.name === protocol.network)!;
    const responder = new Responder({
      pool,
      store,
      hub: protocol.hub,
      wallet,
      chainId: BigInt(network.chainId),
      feeCeiling: parseUnits(String(action.feeCeilingGwei), "gwei"),
      emergencyFeeCeiling: parseUnits(String(action.emergencyFeeCeilingGwei), "gwei"),
      log: (event, fields) =>
        log.info({ event: `responder-${event}`, protocol: protocol.name, keeper: wallet.address, ...fields }),
    });
    responders.set(id, responder);
    return responder;
  }

  private async runNetwork(runtime: NetworkRuntime): Promise<void> {
    const log = this.options.logger.child({ network: runtime.network.name });
    for (const responder of runtime.responders) {
      try {
        const resumed = await responder.resumeUnfinished();
        for (const outcome of resumed)
          log.warn({ event: "action-resumed", ...outcome }, "finished an action decided before a restart");
      } catch (error) {
        log.error(
          { event: "resume-error", error: (error as Error).message.split("\n")[0] },
          "could not resume an unfinished action yet",
        );
      }
    }
    await runtime.watcher.run(this.controller.signal);
    log.info({ event: "stopped", cursor: runtime.store.cursor()?.number }, "network loop stopped");
  }

  private async afterTick(
    runtime: NetworkRuntime,
    route: Map<string, { protocol: ResolvedProtocol }>,
    result: TickResult | undefined,
    error: unknown,
  ): Promise<void> {
    const network = runtime.network.name;
    runtime.lastTickAt = Date.now();
    if (result === undefined) {
      runtime.lastError = error instanceof Error ? error.message.split("\n")[0] : String(error);
      this.metrics.tickErrors.inc({ network });
      this.metrics.observeHealth(network, runtime.pool.health());
      return;
    }
    runtime.lastTickOkAt = runtime.lastTickAt;
    runtime.lastError = undefined;
    this.metrics.observeTick(network, result, runtime.pool.health(), runtime.store.cursor()?.number);
    const log = this.options.logger.child({ network });
    const alertAt = SEVERITY_RANK[this.options.config.raw.alertAt];

    for (const finding of result.findings) {
      const level = SEVERITY_RANK[finding.severity] >= SEVERITY_RANK.high ? "warn" : "info";
      log[level](
        {
          event: "finding",
          detector: finding.detector,
          severity: finding.severity,
          block: finding.blockNumber,
          data: finding.data,
        },
        finding.summary,
      );
      if (SEVERITY_RANK[finding.severity] >= alertAt) this.alert(findingAlert(network, route, finding));
    }
    for (const action of result.actions) {
      const protocol = route.get(action.finding.detector)?.protocol;
      if (protocol === undefined) continue;
      const incident = runtime.store.openIncidentOf(protocol.name);
      if (incident !== undefined) {
        runtime.store.recordIncidentAction(incident.id, action);
        if (action.status === "mined")
          this.metrics.actionLatency.observe({ network }, (Date.now() - incident.openedAt) / 1000);
      }
      log.warn(
        {
          event: "action",
          protocol: protocol.name,
          status: action.status,
          tx: action.txHash,
          block: action.blockNumber,
          key: action.key,
          note: action.note,
        },
        `${action.status}: ${action.key}`,
      );
      this.alert({
        key: `action:${action.key}:${action.status}`,
        at: Date.now(),
        severity: action.status === "failed" ? "critical" : "high",
        title:
          action.status === "mined"
            ? `Cordon paused ${protocol.name}`
            : `Cordon action ${action.status} for ${protocol.name}`,
        summary: `${action.key}: ${action.status}${action.note ? ` (${action.note})` : ""}, because ${action.finding.summary}`,
        network,
        protocol: protocol.name,
        detector: action.finding.detector,
        blockNumber: action.blockNumber,
        txHash: action.txHash,
      });
    }
    await this.closeSettledIncidents(runtime, log);
  }

  /**
   * Closes incidents whose hub is fully open again (governance resumed it, or the pause expired). An incident whose
   * action was skipped closes only after a quorum has seen the hub paused and then open: a skip never closes an
   * incident by itself, so the findings of one exploit stay in one incident while nothing paused the hub.
   */
  private async closeSettledIncidents(runtime: NetworkRuntime, log: Logger): Promise<void> {
    for (const protocol of runtime.network.protocols) {
      const incident = runtime.store.openIncidentOf(protocol.name);
      if (incident === undefined || incident.actionStatus === undefined || incident.actionStatus === "failed") continue;
      try {
        const open = isFullyOpen(await readHubSync(runtime.pool, protocol.hub));
        if (!open) runtime.seenClosed.add(incident.id);
        const settled = incident.actionStatus === "mined" || runtime.seenClosed.has(incident.id);
        if (open && settled) {
          runtime.seenClosed.delete(incident.id);
          runtime.store.closeIncident(incident.id);
          log.info(
            { event: "incident-closed", incident: incident.id, protocol: protocol.name },
            "the hub is open again",
          );
        }
      } catch {
        // no quorum right now: try again next tick
      }
    }
  }

  private alert(alert: Alert): void {
    this.options.notifier?.notify(alert);
  }
}

function findingAlert(
  network: string,
  route: Map<string, { protocol: ResolvedProtocol }>,
  finding: DetectorFinding,
): Alert {
  return {
    key: `finding:${network}:${finding.detector}:${finding.blockNumber}:${finding.blockHash}`,
    at: Date.now(),
    severity: finding.severity,
    title: `${finding.severity.toUpperCase()} ${finding.detector} at block ${finding.blockNumber}`,
    summary: finding.summary,
    network,
    protocol: route.get(finding.detector)?.protocol.name,
    detector: finding.detector,
    blockNumber: finding.blockNumber,
  };
}

/** Every reachable endpoint must serve the configured chain: a wrong URL must not feed another chain's blocks. */
/**
 * Checks that the endpoints serve the configured chain. The keeper goes on once a quorum has confirmed it (a slow or
 * dead endpoint does not hold up a restart); an endpoint found on another chain before then stops the start, one
 * found later is taken out of rotation and named.
 */
async function checkChainIds(pool: RpcPool, network: ResolvedNetwork, log: Logger): Promise<void> {
  const wrong: string[] = [];
  let confirmed = 0;
  let started = true; // still deciding whether the keeper may start
  let release!: () => void;
  const enough = new Promise<void>((resolve) => (release = resolve));
  const all = Promise.all(
    pool.endpoints.map(async (endpoint) => {
      try {
        const chainId = Number(await endpoint.request<string>("eth_chainId"));
        if (chainId === network.chainId) {
          confirmed += 1;
        } else if (started) {
          wrong.push(`${endpoint.name} serves chain ${chainId}`);
        } else {
          pool.exclude(endpoint.name, `serves chain ${chainId}, not ${network.chainId}`);
          log.error(
            { event: "endpoint-wrong-chain", endpoint: endpoint.name, chainId, expected: network.chainId },
            "endpoint serves another chain: out of rotation",
          );
        }
      } catch (error) {
        log.warn(
          { event: "endpoint-unreachable", endpoint: endpoint.name, error: (error as Error).message.split("\n")[0] },
          "endpoint unreachable at start; it joins when it answers",
        );
      }
      if (confirmed >= pool.quorum || wrong.length > 0) release();
    }),
  );
  await Promise.race([all, enough]);
  started = false;
  if (wrong.length > 0) {
    throw new CordonError(`networks.${network.name}: ${wrong.join(", ")}, not chainId ${network.chainId}`, {
      details: "fix the endpoint URL or the network's chainId in the config",
    });
  }
}
