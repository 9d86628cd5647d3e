/**
 * The keeper service: for each network in the config, an RPC pool, a store, the protocols' detectors and
 * responders joined by a Watcher; around them, incidents in the store, alerts, Prometheus metrics, `/healthz` and
 * `/readyz`, structured logs, and a graceful stop (the current tick finishes; unfinished actions stay in the outbox
 * and are resumed by the next start).
 *
 * A restart acts first: once a quorum of endpoints has confirmed the chain, the actions the store holds (an outbox
 * entry sent or decided before a crash, a stored finding whose action was never decided) are driven before the
 * detectors, the metrics, the alert channels and the ops server are loaded, and those load while the first
 * transaction waits to be mined. Everything an action decides still rests on a quorum (the hub's state, the
 * finding's block still on the chain); only the modules and the round of heads are left for later.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";

import { parseUnits } from "ethers/utils";

import type { KeeperConfig, ResolvedDetector, ResolvedNetwork, ResolvedProtocol } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import { isFullyOpen, readHubSync } from "../contracts/hub.js";
import type { Detector, DetectorFinding } from "../detectors/types.js";
import { CordonError } from "../errors.js";
import type { KeeperMetrics } from "../ops/metrics.js";
import type { Check, OpsServer } from "../ops/http.js";
import type { Logger } from "../ops/logger.js";
import { type ActionOutcome, Responder } from "../responder/responder.js";
import { type EndpointHealth, hexNumber, type RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import { Store } from "../store/store.js";
import { revive, type TickResult, Watcher } from "../watcher/watcher.js";
import { buildDetector, buildPool } from "./build.js";
import type { Alert, Notifier } from "./alerts.js";
import { ProtocolMempool } from "./mempool.js";

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface KeeperOptions {
  config: KeeperConfig;
  secrets: Secrets;
  logger: Logger;
  /**
   * Where alerts go (built from the config's `alerts`); absent: none. A function is called once the start's first
   * actions are under way (a restart does not wait for the alert channels to load before it acts).
   */
  notifier?: Notifier | ((metrics: KeeperMetrics) => Notifier | undefined | Promise<Notifier | undefined>);
  /** Overrides the config's `metrics` (e.g. port 0 in tests); `false` disables the ops server. */
  ops?: { host: string; port: number } | false;
  /** The metrics to record into (shared with the notifier); default: new ones. */
  metrics?: KeeperMetrics;
}

type Route = Map<string, { protocol: ResolvedProtocol; responder: Responder | undefined }>;
type TakenAction = ActionOutcome & { finding: DetectorFinding };

/** How long a start waits for its first actions to be broadcast before it loads the rest anyway. */
const FIRST_ACTION_WAIT_MS = 2_000;

interface NetworkRuntime {
  network: ResolvedNetwork;
  log: Logger;
  pool: RpcPool;
  /** Resolves once a quorum of endpoints has confirmed the chain id; rejects if one serves another chain. */
  confirmed: Promise<void>;
  store: Store;
  /** Each detector's protocol and responder (from the config alone: no detector is built for it). */
  route: Route;
  /** Chooses a finding's responder and opens (or joins) its protocol's incident. */
  choose: (finding: DetectorFinding) => Responder | undefined;
  /** Set once the detectors are built. */
  watcher: Watcher | undefined;
  responders: Responder[];
  /** The actions the store held at the start (resumed outbox entries, stored findings), driven before anything else. */
  firstActions: Promise<TakenAction[]>;
  /** Called when a responder has broadcast a transaction. */
  onSent: (() => void) | undefined;
  lastTickAt: number;
  lastTickOkAt: number;
  lastError: string | undefined;
  /** Open incidents during which a quorum has seen the hub not fully open (paused by anyone). */
  seenClosed: Set<number>;
  /** Each endpoint's status and dispute count as last logged: a change is logged once, naming the endpoint. */
  endpointsSeen: Map<string, { status: string; disputes: number }>;
  /** The mempool stages of the protocols that watch pending transactions. */
  mempools: ProtocolMempool[];
}

export class Keeper {
  /** Loaded once the start's first actions are under way. */
  metrics!: KeeperMetrics;
  ops: OpsServer | undefined;
  private notifier: Notifier | undefined;
  private readonly runtimes: NetworkRuntime[] = [];
  private readonly controller = new AbortController();
  private running: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  private constructor(private readonly options: KeeperOptions) {}

  /**
   * Checks the endpoints serve the configured chains, drives the actions a restart finds in the store, then builds
   * every network's pipeline and starts the ops server.
   */
  static async start(options: KeeperOptions): Promise<Keeper> {
    const keeper = new Keeper(options);
    try {
      for (const network of options.config.networks) keeper.runtimes.push(keeper.openNetwork(network));
      // The first actions go out before the rest is loaded: compiling modules would hold up their round trips. Their
      // reads start with the chain-id check; nothing is decided or sent before a quorum has confirmed the chain.
      const acting = keeper.runtimes.map((r) => keeper.actFirst(r));
      // The signer's table of curve points is built while those requests are in flight, not at the first signature.
      for (const key of options.secrets.keys.values()) key.warm();
      await Promise.all(keeper.runtimes.map((r) => r.confirmed));
      await Promise.all(acting);
      const { KeeperMetrics } = await import("../ops/metrics.js");
      keeper.metrics = options.metrics ?? new KeeperMetrics();
      keeper.notifier =
        typeof options.notifier === "function" ? await options.notifier(keeper.metrics) : options.notifier;
      for (const runtime of keeper.runtimes) await keeper.buildPipeline(runtime);
      const ops = options.ops ?? options.config.raw.metrics;
      if (ops !== undefined && ops !== false) {
        const { startOpsServer } = await import("../ops/http.js");
        keeper.ops = await startOpsServer({
          ...ops,
          registry: keeper.metrics.registry,
          live: () => keeper.live(),
          ready: () => keeper.ready(),
        });
        options.logger.info({ event: "ops-listening", url: keeper.ops.url }, "metrics, healthz and readyz listening");
      }
    } catch (error) {
      // An action already under way is finished (or given up) before the stores close: a failed start must not
      // leave a pause half sent.
      await Promise.all(keeper.runtimes.map((r) => r.firstActions.catch(() => [])));
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
    await this.notifier?.close();
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

  /**
   * The part of a network a restart needs to act: its pool, the check that a quorum of its endpoints serves the
   * configured chain (`confirmed`, under way), its store, and the responders the config's actions name. No detector
   * is built and no round of heads is asked for yet.
   */
  private openNetwork(network: ResolvedNetwork): NetworkRuntime {
    const { config, secrets, logger } = this.options;
    const log = logger.child({ network: network.name });
    const pool = buildPool(network, secrets);
    const confirmed = checkChainIds(pool, network, log);
    confirmed.catch(() => {}); // awaited by start (and by the first actions)
    mkdirSync(config.dataDir, { recursive: true });
    const store = new Store(path.join(config.dataDir, `${network.name}.db`), network.chainId);

    const route: Route = new Map();
    const responders = new Map<string, Responder>();
    const runtime: NetworkRuntime = {
      network,
      log,
      pool,
      confirmed,
      store,
      route,
      choose: () => undefined,
      watcher: undefined,
      responders: [],
      firstActions: Promise.resolve([]),
      onSent: undefined,
      lastTickAt: 0,
      lastTickOkAt: Date.now(),
      lastError: undefined,
      seenClosed: new Set(),
      endpointsSeen: new Map(),
      mempools: [],
    };
    for (const protocol of network.protocols) {
      for (const detector of protocol.detectors) {
        route.set(detector.id, {
          protocol,
          responder: this.responderFor(protocol, detector, pool, store, responders, log, () => runtime.onSent?.()),
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
    runtime.responders = [...responders.values()];
    // Called right before a finding is acted on: the incident opens at detection time, not after the receipt.
    runtime.choose = (finding) => {
      const target = route.get(finding.detector);
      if (target === undefined) return undefined;
      const { incident, created } = store.openIncident(target.protocol.name, incidentTarget(target.protocol), finding);
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
    };
    return runtime;
  }

  /**
   * Starts driving what the store holds from before a restart: the outbox's unfinished actions, then the stored
   * findings whose action was never decided (each only while a quorum still has its block). Resolves once a
   * transaction has been broadcast, the actions are done, or {@link FIRST_ACTION_WAIT_MS} has passed; the actions
   * go on in `runtime.firstActions`.
   */
  private actFirst(runtime: NetworkRuntime): Promise<void> {
    const { store, log, pool } = runtime;
    const threshold = SEVERITY_RANK[this.options.config.raw.respondAt];
    const unfinished = store.unfinished().length;
    const findings = store
      .unhandledFindings()
      .map(revive)
      .filter(
        (f) =>
          f.response !== undefined &&
          SEVERITY_RANK[f.severity] >= threshold &&
          runtime.route.get(f.detector)?.responder !== undefined,
      );
    if (runtime.responders.length === 0 || (unfinished === 0 && findings.length === 0)) return Promise.resolve();
    log.warn(
      {
        event: "acting-first",
        unfinished,
        findings: findings.length,
        sinceProcessStartMs: Math.round(performance.now()),
      },
      "acting on what the store holds from before the restart, before loading the detectors",
    );
    let release!: () => void;
    const sent = new Promise<void>((resolve) => (release = resolve));
    runtime.onSent = release;
    // Reads only, asked alongside the chain-id check: is each finding's block still where a quorum's chain has it?
    const onChain = findings.map((f) => quorumHasBlock(pool, f.blockNumber, f.blockHash));
    runtime.firstActions = (async () => {
      // An unfinished outbox entry first: it was decided before the findings that came after it.
      for (const responder of unfinished > 0 ? runtime.responders : []) {
        await runtime.confirmed;
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
      const taken: TakenAction[] = [];
      for (const [i, finding] of findings.entries()) {
        const responder = runtime.route.get(finding.detector)!.responder!;
        // The responder's reads (the hub, gas, fees, nonce) go out with the chain-id and block checks; it decides
        // only once a quorum has confirmed the chain and still has the finding's block.
        const gate = (async () => {
          await runtime.confirmed;
          if (!(await onChain[i]!)) throw new NotOnChain();
          runtime.choose(finding); // opens (or joins) the incident, as the watcher does before it acts
        })();
        try {
          const outcome = await responder.respond(finding.response!, finding.severity, finding.summary, gate);
          store.markHandled(finding.id!);
          taken.push({ ...outcome, finding });
        } catch (error) {
          // A finding of a block a reorg took is not acted on here: the watcher's first tick rewinds and retracts it.
          if (error instanceof NotOnChain) continue;
          // The chain was not confirmed: the start fails, and nothing is acted on.
          if (
            await runtime.confirmed.then(
              () => false,
              () => true,
            )
          )
            throw error;
          // Not decided: the finding stays unhandled, and the watcher's first tick tries again.
          log.error(
            { event: "first-action-error", detector: finding.detector, error: (error as Error).message.split("\n")[0] },
            "could not act on a stored finding yet; the watcher tries again",
          );
          break;
        }
      }
      return taken;
    })().finally(() => {
      runtime.onSent = undefined;
      release();
    });
    runtime.firstActions.catch(() => {}); // awaited by runNetwork, or by a start that failed
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_ACTION_WAIT_MS)));
    return Promise.race([sent, waited]).finally(() => clearTimeout(timer));
  }

  /** The rest of a network's pipeline: its detectors and the watcher that runs them. */
  private async buildPipeline(runtime: NetworkRuntime): Promise<void> {
    const { config } = this.options;
    const { network, pool, store, log } = runtime;
    const detectors: Detector[] = [];
    const keepers = [...this.options.secrets.keys.values()].map((key) => key.address);
    for (const protocol of network.protocols) {
      const own: Detector[] = [];
      for (const detector of protocol.detectors) own.push(await buildDetector(config, protocol, detector, keepers));
      detectors.push(...own);
      if (protocol.mempool !== undefined) {
        // The stage gets instances of its own: a pending judgement feeds a detector's history (samples, readings) as
        // a block would, and must not stand in for the mined block's. Only detectors that can act judge pending
        // transactions (a module recording ranges, or the hub's own events, has nothing to say about them).
        const pending: Detector[] = [];
        for (const detector of protocol.detectors.filter(actsOnFindings))
          pending.push(await buildDetector(config, protocol, detector, keepers));
        runtime.mempools.push(this.mempoolOf(runtime, protocol, pending, keepers));
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

    runtime.watcher = new Watcher({
      pool,
      store,
      detectors,
      addresses: [...new Set(network.protocols.flatMap((p) => p.detectors.flatMap((d) => Object.values(d.addresses))))],
      startBlock,
      respondAt: config.raw.respondAt,
      maxRange: network.maxLogRange,
      pollIntervalMs: network.pollIntervalMs,
      responder: runtime.choose,
      log: (event, fields) => log.info({ event, ...fields }),
      onTick: (result, error) => this.afterTick(runtime, result, error),
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
  }

  /** The mempool stage of `protocol` (started once the network's first actions are done). */
  private mempoolOf(
    runtime: NetworkRuntime,
    protocol: ResolvedProtocol,
    detectors: Detector[],
    keepers: string[],
  ): ProtocolMempool {
    return new ProtocolMempool({
      network: runtime.network.name,
      protocol,
      pool: runtime.pool,
      detectors,
      keepers,
      choose: runtime.choose,
      report: (finding, outcome) => this.report(runtime, [], [{ ...outcome, finding }]),
      metrics: this.metrics,
      log: runtime.log,
    });
  }

  private responderFor(
    protocol: ResolvedProtocol,
    detector: ResolvedDetector,
    pool: RpcPool,
    store: Store,
    responders: Map<string, Responder>,
    log: Logger,
    onSent: () => void,
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
      protocol: protocol.name,
      wallet,
      chainId: BigInt(network.chainId),
      feeCeiling: parseUnits(String(action.feeCeilingGwei), "gwei"),
      emergencyFeeCeiling: parseUnits(String(action.emergencyFeeCeilingGwei), "gwei"),
      log: (event, fields) => {
        log.info({ event: `responder-${event}`, protocol: protocol.name, keeper: wallet.address, ...fields });
        if (event === "sent") onSent();
      },
    });
    responders.set(id, responder);
    return responder;
  }

  private async runNetwork(runtime: NetworkRuntime): Promise<void> {
    const { log } = runtime;
    // The actions driven before the pipeline was built: recorded and alerted on as a tick's actions are.
    const first = await runtime.firstActions.catch((error: unknown) => {
      log.error(
        { event: "first-action-error", error: (error as Error).message.split("\n")[0] },
        "first actions failed",
      );
      return [];
    });
    if (first.length > 0)
      await this.report(
        runtime,
        first.map((a) => a.finding),
        first,
      );
    for (const mempool of runtime.mempools) mempool.start();
    try {
      await runtime.watcher!.run(this.controller.signal);
    } finally {
      await Promise.all(runtime.mempools.map((m) => m.stop()));
    }
    log.info({ event: "stopped", cursor: runtime.store.cursor()?.number }, "network loop stopped");
  }

  private async afterTick(runtime: NetworkRuntime, result: TickResult | undefined, error: unknown): Promise<void> {
    const network = runtime.network.name;
    runtime.lastTickAt = Date.now();
    const health = runtime.pool.health();
    this.logHealth(runtime, health);
    if (result === undefined) {
      runtime.lastError = error instanceof Error ? error.message.split("\n")[0] : String(error);
      this.metrics.tickErrors.inc({ network });
      this.metrics.observeHealth(network, health);
      return;
    }
    runtime.lastTickOkAt = runtime.lastTickAt;
    runtime.lastError = undefined;
    this.metrics.observeTick(network, result, health, runtime.store.cursor()?.number);
    for (const m of runtime.mempools) this.metrics.observeMempool(network, m.protocol, m.stage.counts);
    await this.report(runtime, result.findings, result.actions);
  }

  /**
   * Logs each endpoint whose status changed (`endpoint-status`, with why) or whose answers a quorum or a proof
   * contradicted again (`endpoint-disputed`, with the last contradiction): the endpoint that omitted, lied or fell
   * behind is named in the log, as it is in the metrics.
   */
  private logHealth(runtime: NetworkRuntime, health: EndpointHealth[]): void {
    for (const e of health) {
      const seen = runtime.endpointsSeen.get(e.name) ?? { status: "unknown", disputes: 0 };
      // An endpoint first seen healthy is not news; every other change is.
      if (e.status !== seen.status && !(seen.status === "unknown" && e.status === "healthy")) {
        const fields = {
          event: "endpoint-status",
          endpoint: e.name,
          status: e.status,
          was: seen.status,
          why: e.reason,
        };
        if (e.status === "healthy") runtime.log.info(fields, `endpoint ${e.name} is back in rotation`);
        else runtime.log.warn(fields, `endpoint ${e.name} is ${e.status}: ${e.reason ?? ""}`);
      }
      if (e.disputes > seen.disputes) {
        runtime.log.warn(
          { event: "endpoint-disputed", endpoint: e.name, disputes: e.disputes, what: e.lastDispute },
          `endpoint ${e.name}: ${e.lastDispute ?? "an answer was contradicted"}`,
        );
      }
      runtime.endpointsSeen.set(e.name, { status: e.status, disputes: e.disputes });
    }
  }

  /** Logs and alerts on findings and the actions taken on them, records the actions in their incidents. */
  private async report(runtime: NetworkRuntime, findings: DetectorFinding[], actions: TakenAction[]): Promise<void> {
    const network = runtime.network.name;
    const { route, log } = runtime;
    const alertAt = SEVERITY_RANK[this.options.config.raw.alertAt];

    for (const finding of findings) {
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
    for (const action of actions) {
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
          action.status !== "mined"
            ? `Cordon action ${action.status} for ${protocol.name}`
            : action.finding.response?.kind === "call"
              ? `Cordon sent ${action.finding.response.description} for ${protocol.name}`
              : `Cordon paused ${protocol.name}`,
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
        const open = await isProtocolOpen(runtime.pool, protocol);
        if (open === undefined) continue; // nothing says when it is over: the incident stays open
        if (!open) runtime.seenClosed.add(incident.id);
        const settled = incident.actionStatus === "mined" || runtime.seenClosed.has(incident.id);
        if (open && settled) {
          runtime.seenClosed.delete(incident.id);
          runtime.store.closeIncident(incident.id);
          log.info(
            { event: "incident-closed", incident: incident.id, protocol: protocol.name },
            protocol.hub === undefined
              ? "the protocol's done checks no longer hold: open again"
              : "the hub is open again",
          );
        }
      } catch {
        // no quorum right now: try again next tick
      }
    }
  }

  private alert(alert: Alert): void {
    this.notifier?.notify(alert);
  }
}

/** Whether a detector's findings can be acted on: it has an action, or a response of its own (the invariant's trip). */
function actsOnFindings(detector: ResolvedDetector): boolean {
  return detector.action !== undefined || detector.config.kind === "invariant";
}

/**
 * Whether a quorum sees `protocol` open again: its hub fully open; for a protocol without a hub, none of its `call`
 * actions' `done` checks holding (unpaused). Undefined when nothing can say (no hub, no done check).
 */
async function isProtocolOpen(pool: RpcPool, protocol: ResolvedProtocol): Promise<boolean | undefined> {
  if (protocol.hub !== undefined) return isFullyOpen(await readHubSync(pool, protocol.hub));
  const checks = new Map<string, { target: string; data: string; equals: string }>();
  for (const d of protocol.detectors) {
    const response = d.action?.response;
    if (response?.kind === "call" && response.done !== undefined) {
      checks.set(`${response.done.target}:${response.done.data}`, response.done);
    }
  }
  if (checks.size === 0) return undefined;
  for (const check of checks.values()) {
    const read = await pool.quorumRead<string>("eth_call", [{ to: check.target, data: check.data }, "latest"]);
    if (read.result.toLowerCase() === check.equals) return false;
  }
  return true;
}

/**
 * The contract an incident of `protocol` is recorded against: its hub, or for a protocol without one the target of
 * its first `call` action (the zero address if it has none).
 */
function incidentTarget(protocol: ResolvedProtocol): string {
  if (protocol.hub !== undefined) return protocol.hub;
  for (const d of protocol.detectors) if (d.action?.response.kind === "call") return d.action.response.target;
  return "0x0000000000000000000000000000000000000000";
}

function findingAlert(network: string, route: Route, finding: DetectorFinding): Alert {
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

/** A stored finding whose block a quorum no longer has (a reorg took it). */
class NotOnChain extends Error {}

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

/**
 * Whether a quorum of endpoints has block `number` with hash `hash` (answers come in parallel; it returns as soon as
 * a quorum has it, or once too few are left to make one).
 */
async function quorumHasBlock(pool: RpcPool, number: number, hash: string): Promise<boolean> {
  const asked = pool.usable();
  let agree = 0;
  let other = 0;
  return await new Promise<boolean>((resolve) => {
    if (asked.length < pool.quorum) resolve(false);
    for (const endpoint of asked) {
      endpoint
        .request<{ hash?: string } | null>("eth_getBlockByNumber", [hexNumber(number), false])
        .then(
          (block) => (block?.hash === hash ? (agree += 1) : (other += 1)),
          () => (other += 1),
        )
        .finally(() => {
          if (agree >= pool.quorum) resolve(true);
          else if (asked.length - other < pool.quorum) resolve(false);
        });
    }
  });
}
