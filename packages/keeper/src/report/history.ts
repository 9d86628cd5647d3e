/**
 * Rebuilds a protocol's incident history from its guardian hub's events: the chain is the record. `fetchHubEvents`
 * reads the hub's logs in adaptive `eth_getLogs` ranges through the RPC pool and stamps them with block times;
 * `rebuildHistory` is pure: it replays the events through a mirror of the hub's state machine (including guardian
 * pauses and grace periods that end by themselves at their expiry, whether or not anyone settled them on-chain) and
 * returns the incidents and, per lane (the protocol-wide state and each scope), the windows of downtime.
 */
import { Interface } from "ethers";

import { eventsOf } from "../contracts/abi.js";
import { HubState as HUB_STATE_NAMES, Reasons, cordonHubAbi } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";

/** The hub's events the report reads, from the generated ABI. */
export const hubEventsInterface = new Interface(
  eventsOf(cordonHubAbi, [
    "StateChanged",
    "ScopesPaused",
    "ScopesUnpaused",
    "PauseExpired",
    "IncidentOpened",
    "IncidentClosed",
    "InvariantTripped",
    "LimitTripped",
    "RecoveryEntered",
    "Resumed",
    // Emitted by the constructor: marks the hub's deployment, where a default report period starts.
    "PauseRulesChanged",
  ]),
);

const HUB_TOPICS: string[] = [];
hubEventsInterface.forEachEvent((event) => HUB_TOPICS.push(event.topicHash));

/** The hub's protocol-wide states (`HubState` in CordonTypes.sol) by name, as their indexes. */
export const HubState = Object.fromEntries(HUB_STATE_NAMES.map((name, index) => [name, index])) as {
  readonly [name in (typeof HUB_STATE_NAMES)[number]]: number;
};
/** A protocol-wide state's index. */
export type HubState = number;

type ClassName<K> = K extends `CLASS_${infer C}` ? Lowercase<C> : never;
/** The cause classes of the reason codes' high byte (`Reasons.CLASS_*` in CordonTypes.sol), and "other". */
export type Cause = ClassName<keyof typeof Reasons> | "other";
const CLASSES = Object.entries(Reasons)
  .filter(([name]) => name.startsWith("CLASS_"))
  .map(([name, code]) => [name.slice("CLASS_".length).toLowerCase() as Cause, code] as const);
export const CAUSES: readonly Cause[] = [...CLASSES.map(([cause]) => cause), "other"];

/** An unconfirmed guardian pause that ended by itself (`Reasons.PAUSE_EXPIRED`): no cause of its own. */
export const REASON_PAUSE_EXPIRED: number = Reasons.PAUSE_EXPIRED;

/** The cause class of a reason code: its high byte (`Reasons.CLASS_*`; anything else "other"). */
export function causeOf(reason: number): Cause {
  return CLASSES.find(([, code]) => code === (reason & 0xff00))?.[0] ?? "other";
}

/** Planned downtime is maintenance; it is reported apart from unplanned downtime. */
export function isPlanned(cause: Cause): boolean {
  return cause === "maintenance";
}

interface EventBase {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  /** The block's timestamp (unix seconds). */
  timestamp: number;
  incidentId: number;
}

/** A decoded hub event, in chain order. */
export type HubEvent = EventBase &
  (
    | { name: "StateChanged"; from: HubState; to: HubState; actor: string; reason: number; expiry: number }
    | { name: "ScopesPaused"; scopes: bigint; actor: string; reason: number; expiry: number }
    | { name: "ScopesUnpaused"; scopes: bigint; actor: string; reason: number }
    | { name: "PauseExpired"; expiry: number; scopes: bigint; protocolWide: boolean; cooldownUntil: number }
    | { name: "IncidentOpened"; actor: string; reason: number }
    | { name: "IncidentClosed"; actor: string }
    | { name: "InvariantTripped"; target: string; code: bigint; caller: string }
    | { name: "LimitTripped"; target: string; scopes: bigint; reason: number }
    | { name: "RecoveryEntered"; checkpointId: bigint }
    | { name: "Resumed"; checkpointId: bigint; attestations: number }
  );

/** A raw `eth_getLogs` entry (the fields the report needs). */
export interface RawLog {
  topics: string[];
  data: string;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

/** Decodes one hub log; undefined for events the report does not read (checkpoints, rule changes, ...). */
export function decodeHubLog(log: RawLog, timestamp: number): HubEvent | undefined {
  const parsed = hubEventsInterface.parseLog({ topics: log.topics, data: log.data });
  if (parsed === null || parsed.name === "PauseRulesChanged") return undefined;
  const a = parsed.args;
  const base: EventBase = {
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
    timestamp,
    incidentId: Number(a.getValue("incidentId")),
  };
  switch (parsed.name) {
    case "StateChanged":
      return {
        ...base,
        name: "StateChanged",
        from: Number(a.getValue("from")),
        to: Number(a.getValue("to")),
        actor: String(a.getValue("actor")),
        reason: Number(a.getValue("reason")),
        expiry: Number(a.getValue("expiry")),
      };
    case "ScopesPaused":
      return {
        ...base,
        name: "ScopesPaused",
        scopes: BigInt(a.getValue("scopes")),
        actor: String(a.getValue("actor")),
        reason: Number(a.getValue("reason")),
        expiry: Number(a.getValue("expiry")),
      };
    case "ScopesUnpaused":
      return {
        ...base,
        name: "ScopesUnpaused",
        scopes: BigInt(a.getValue("scopes")),
        actor: String(a.getValue("actor")),
        reason: Number(a.getValue("reason")),
      };
    case "PauseExpired":
      return {
        ...base,
        name: "PauseExpired",
        expiry: Number(a.getValue("expiry")),
        scopes: BigInt(a.getValue("scopes")),
        protocolWide: Boolean(a.getValue("protocolWide")),
        cooldownUntil: Number(a.getValue("cooldownUntil")),
      };
    case "IncidentOpened":
      return {
        ...base,
        name: "IncidentOpened",
        actor: String(a.getValue("actor")),
        reason: Number(a.getValue("reason")),
      };
    case "IncidentClosed":
      return { ...base, name: "IncidentClosed", actor: String(a.getValue("actor")) };
    case "InvariantTripped":
      return {
        ...base,
        name: "InvariantTripped",
        target: String(a.getValue("target")),
        code: BigInt(a.getValue("code")),
        caller: String(a.getValue("caller")),
      };
    case "LimitTripped":
      return {
        ...base,
        name: "LimitTripped",
        target: String(a.getValue("target")),
        scopes: BigInt(a.getValue("scopes")),
        reason: Number(a.getValue("reason")),
      };
    case "RecoveryEntered":
      return { ...base, name: "RecoveryEntered", checkpointId: BigInt(a.getValue("checkpointId")) };
    case "Resumed":
      return {
        ...base,
        name: "Resumed",
        checkpointId: BigInt(a.getValue("checkpointId")),
        attestations: Number(a.getValue("attestations")),
      };
    default:
      return undefined;
  }
}

/** A point in the history: a time (unix seconds) and, when it is a transaction, its block. */
export interface Moment {
  time: number;
  block?: number;
}

/** The lane of the protocol-wide state (Paused, Recovery, Shutdown); scope lanes are `scope:<n>`. */
export const PROTOCOL_LANE = "protocol";

export function scopeLane(scope: number): string {
  return `scope:${scope}`;
}

/** A window in which a lane was unavailable. `end` undefined: still down when the history ends. */
export interface DowntimeWindow {
  lane: string;
  start: Moment;
  end: Moment | undefined;
  incidentId: number;
  cause: Cause;
}

/** What opened an incident: an account's pause, or the chain itself (an on-chain trip needs no watcher). */
export type Trigger = "pause" | "invariant-trip" | "limit-trip";

export interface Incident {
  id: number;
  /** The reason code that opened it, and its class. */
  reason: number;
  cause: Cause;
  planned: boolean;
  /** Every reason code seen in its transitions, in order. */
  reasons: number[];
  trigger: Trigger;
  /** Scopes paused by name during the incident (ascending); `protocolWide` when the whole protocol was stopped. */
  scopes: number[];
  protocolWide: boolean;
  /** When the anomaly started (the watcher's first finding's block); only with the watcher's store. */
  anomalyAt?: Moment;
  /** When it was detected: the watcher's first finding, or the pause itself for an on-chain trip. */
  detectedAt?: Moment;
  /** The transaction that first made something unavailable. */
  pausedAt: Moment;
  pauseTx: string;
  /** Governance entered Recovery. */
  recoveryAt?: Moment;
  /** Governance resumed from Recovery (or unpaused, or the pause expired): the protocol-wide state is Active. */
  resumedAt?: Moment;
  /** Every scope open again (after any grace period); undefined while still down. */
  restoredAt?: Moment;
  /** The hub recorded the incident closed (may be later than `restoredAt`: expiries are settled lazily). */
  closedAt?: Moment;
  shutdown: boolean;
  /** What detected it, in words (filled in from the watcher's store or the on-chain trip). */
  detection?: { source: "watcher" | "on-chain"; detector: string; summary: string; actionKey?: string };
}

export interface History {
  hub: string;
  incidents: Incident[];
  /** Windows per lane, in time order; lanes are {@link PROTOCOL_LANE} and one per scope ever named by an event. */
  windows: DowntimeWindow[];
  lanes: string[];
  /** Unavailability of any part of the protocol: one window per stretch in which something was down. */
  protocolWindows: DowntimeWindow[];
  /** The time the history was rebuilt up to. */
  end: Moment;
}

const ALL_SCOPES = (1n << 208n) - 1n;

function scopesOf(mask: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; mask !== 0n; i++, mask >>= 1n) if ((mask & 1n) === 1n) out.push(i);
  return out;
}

/**
 * Replays `events` (chain order) up to `end` through a mirror of the hub's state machine. `extraScopes` adds lanes
 * for scopes no event names (e.g. scopes the team wants shown even if never paused by name).
 */
export function rebuildHistory(hub: string, events: HubEvent[], end: Moment, extraScopes: number[] = []): History {
  let named = extraScopes.reduce((m, s) => m | (1n << BigInt(s)), 0n);
  for (const e of events) if ("scopes" in e) named |= e.scopes;
  named &= ALL_SCOPES;
  const scopes = scopesOf(named);
  const lanes = [PROTOCOL_LANE, ...scopes.map(scopeLane)];

  // The mirror of CordonHub's storage.
  let state = HubState.Active;
  let stateExpires = false;
  let expiry = 0;
  let held = 0n;
  let expiring = 0n;
  let grace = 0n;
  let graceUntil = 0;

  const incidents = new Map<number, Incident>();
  const windows: DowntimeWindow[] = [];
  const protocolWindows: DowntimeWindow[] = [];
  const open = new Map<string, DowntimeWindow>(); // lane -> its running window
  let anyDown: DowntimeWindow | undefined;
  let current: Incident | undefined;

  const closedMask = () => held | expiring | grace;
  const laneDown = (lane: string, closed: bigint): boolean => {
    if (state !== HubState.Active) return true;
    if (lane === PROTOCOL_LANE) return false;
    return ((closed >> BigInt(lane.slice(6))) & 1n) === 1n;
  };

  /** Opens and closes lane windows to match the mirror as of `at`. */
  const sync = (at: Moment) => {
    const closed = closedMask();
    for (const lane of lanes) {
      const down = laneDown(lane, closed);
      const running = open.get(lane);
      if (down && running === undefined && current !== undefined) {
        const w: DowntimeWindow = { lane, start: at, end: undefined, incidentId: current.id, cause: current.cause };
        windows.push(w);
        open.set(lane, w);
      } else if (!down && running !== undefined) {
        running.end = at;
        open.delete(lane);
      }
    }
    const somethingDown = state !== HubState.Active || closed !== 0n;
    if (somethingDown && anyDown === undefined && current !== undefined) {
      anyDown = { lane: "any", start: at, end: undefined, incidentId: current.id, cause: current.cause };
      protocolWindows.push(anyDown);
      current.restoredAt = undefined;
    } else if (!somethingDown && anyDown !== undefined) {
      anyDown.end = at;
      anyDown = undefined;
      if (current !== undefined) {
        current.restoredAt = at;
        current.resumedAt ??= at;
      }
    }
  };

  const clearEpisode = () => {
    expiry = 0;
    stateExpires = false;
    expiring = 0n;
  };

  /** Ends, at their own expiry, the guardian episode and grace period that have expired by `time`. */
  const advance = (time: number) => {
    for (;;) {
      const episodeDue = expiry !== 0 && time >= expiry ? expiry : Infinity;
      const graceDue = graceUntil !== 0 && time >= graceUntil ? graceUntil : Infinity;
      if (episodeDue === Infinity && graceDue === Infinity) return;
      if (episodeDue <= graceDue) {
        if (stateExpires && state === HubState.Paused) {
          state = HubState.Active;
          if (current !== undefined) current.resumedAt = { time: episodeDue };
        }
        clearEpisode();
        sync({ time: episodeDue });
      } else {
        grace = 0n;
        graceUntil = 0;
        sync({ time: graceDue });
      }
    }
  };

  for (const e of events) {
    advance(e.timestamp);
    const at: Moment = { time: e.timestamp, block: e.blockNumber };
    const incident = incidents.get(e.incidentId);
    if (incident !== undefined && "reason" in e && e.reason !== REASON_PAUSE_EXPIRED) {
      if (!incident.reasons.includes(e.reason)) incident.reasons.push(e.reason);
    }
    switch (e.name) {
      case "IncidentOpened": {
        const cause = causeOf(e.reason);
        current = {
          id: e.incidentId,
          reason: e.reason,
          cause,
          planned: isPlanned(cause),
          reasons: [e.reason],
          trigger: "pause",
          scopes: [],
          protocolWide: false,
          pausedAt: at,
          pauseTx: e.transactionHash,
          shutdown: false,
        };
        incidents.set(e.incidentId, current);
        break;
      }
      case "IncidentClosed":
        if (incident !== undefined) incident.closedAt = at;
        if (current?.id === e.incidentId) current = undefined;
        break;
      case "InvariantTripped":
      case "LimitTripped":
        if (incident !== undefined && incident.pauseTx === e.transactionHash && incident.trigger === "pause") {
          incident.trigger = e.name === "InvariantTripped" ? "invariant-trip" : "limit-trip";
          incident.detectedAt = at;
          incident.detection = {
            source: "on-chain",
            detector: e.name === "InvariantTripped" ? "invariant" : "outflow-limit",
            summary:
              e.name === "InvariantTripped"
                ? `invariant check of ${e.target} failed with code ${e.code}`
                : `outflow limit of ${e.target} breached`,
          };
        }
        break;
      case "StateChanged":
        if (e.to === HubState.Paused) {
          if (e.from === HubState.Active) stateExpires = e.expiry !== 0;
          else if (e.expiry === 0) stateExpires = false;
          if (e.expiry !== 0) expiry = e.expiry;
          state = HubState.Paused;
          if (expiring === 0n && !stateExpires) clearEpisode();
          if (incident !== undefined) incident.protocolWide = true;
        } else if (e.to === HubState.Active) {
          if (e.reason === REASON_PAUSE_EXPIRED) break; // already ended at its expiry by `advance`
          state = HubState.Active;
          if (e.from === HubState.Paused) {
            // unpause(): everything ends
            clearEpisode();
            grace = 0n;
            graceUntil = 0;
            held = 0n;
          } else {
            held = 0n; // resume(): the grace scopes were set by the ScopesPaused just before
          }
          if (incident !== undefined) incident.resumedAt = at;
        } else {
          // Recovery or Shutdown: what guardians paused is now held by governance
          held |= expiring | grace;
          clearEpisode();
          grace = 0n;
          graceUntil = 0;
          state = e.to;
          if (incident !== undefined) {
            incident.protocolWide = true;
            if (e.to === HubState.Recovery) incident.recoveryAt ??= at;
            else incident.shutdown = true;
          }
        }
        break;
      case "ScopesPaused":
        if (state === HubState.Recovery) {
          // resume(): the grace scopes stay paused until `expiry`
          grace = e.scopes;
          graceUntil = e.expiry;
        } else if (e.expiry === 0) {
          held |= e.scopes;
          expiring &= ~e.scopes;
          grace &= ~e.scopes;
        } else {
          expiring |= e.scopes & ~held;
          expiry = e.expiry;
        }
        if (expiring === 0n && !stateExpires) clearEpisode();
        if (incident !== undefined && state !== HubState.Recovery) {
          incident.scopes = scopesOf(mask(incident) | e.scopes);
        }
        break;
      case "ScopesUnpaused":
        held &= ~e.scopes;
        expiring &= ~e.scopes;
        grace &= ~e.scopes;
        if (expiring === 0n && !stateExpires) clearEpisode();
        if (grace === 0n) graceUntil = 0;
        break;
      case "Resumed":
        if (incident !== undefined) incident.resumedAt = at;
        break;
      case "PauseExpired":
      case "RecoveryEntered":
        break; // already accounted for: expiries by `advance`, recovery by its StateChanged
    }
    sync(at);
  }
  advance(end.time);

  return { hub, incidents: [...incidents.values()], windows, lanes, protocolWindows, end };
}

function mask(incident: Incident): bigint {
  return incident.scopes.reduce((m, s) => m | (1n << BigInt(s)), 0n);
}

/** Options for reading a hub's history from the chain. */
export interface FetchOptions {
  pool: RpcPool;
  hub: string;
  fromBlock: number;
  toBlock: number;
  /** The largest `eth_getLogs` range tried; halved when a provider refuses a range. Default 10,000. */
  maxRange?: number;
  /** Parallel block-header requests for timestamps. Default 8. */
  concurrency?: number;
}

export interface FetchedEvents {
  events: HubEvent[];
  /** The block of the hub's first log in the range (its deployment, when the range starts before it). */
  firstBlock: number | undefined;
}

/** Reads the hub's events in [fromBlock, toBlock] and stamps each with its block's time. */
export async function fetchHubEvents(options: FetchOptions): Promise<FetchedEvents> {
  const { pool, hub, fromBlock, toBlock } = options;
  const logs: (RawLog & { blockTimestamp?: string })[] = [];
  let range = options.maxRange ?? 10_000;
  for (let from = fromBlock; from <= toBlock;) {
    const to = Math.min(toBlock, from + range - 1);
    let raw: Record<string, unknown>[];
    try {
      raw = await pool.request("eth_getLogs", [
        { address: hub, topics: [HUB_TOPICS], fromBlock: hexNumber(from), toBlock: hexNumber(to) },
      ]);
    } catch (error) {
      if (to === from) throw error;
      range = Math.max(1, Math.floor((to - from + 1) / 2)); // the provider refused the range: halve it
      continue;
    }
    for (const l of raw) {
      if (l.removed === true) continue;
      logs.push({
        topics: l.topics as string[],
        data: String(l.data),
        blockNumber: Number(l.blockNumber),
        transactionHash: String(l.transactionHash),
        logIndex: Number(l.logIndex),
        ...(typeof l.blockTimestamp === "string" ? { blockTimestamp: l.blockTimestamp } : {}),
      });
    }
    from = to + 1;
  }
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);

  const times = new Map<number, number>();
  for (const l of logs) if (l.blockTimestamp !== undefined) times.set(l.blockNumber, Number(l.blockTimestamp));
  const missing = [...new Set(decodable(logs).map((l) => l.blockNumber))].filter((n) => !times.has(n));
  await blockTimes(pool, missing, times, options.concurrency ?? 8);

  const events: HubEvent[] = [];
  for (const l of logs) {
    const event = decodeHubLog(l, times.get(l.blockNumber) ?? 0);
    if (event !== undefined) events.push(event);
  }
  return { events, firstBlock: logs[0]?.blockNumber };
}

/** The logs {@link decodeHubLog} reads (the rest need no timestamp). */
function decodable(logs: RawLog[]): RawLog[] {
  const skip = hubEventsInterface.getEvent("PauseRulesChanged")!.topicHash;
  return logs.filter((l) => l.topics[0] !== skip);
}

/** Fills `into` with the timestamps of `blocks`, `concurrency` requests at a time. */
export async function blockTimes(
  pool: RpcPool,
  blocks: number[],
  into = new Map<number, number>(),
  concurrency = 8,
): Promise<Map<number, number>> {
  let next = 0;
  const worker = async () => {
    while (next < blocks.length) {
      const n = blocks[next++]!;
      into.set(n, await blockTime(pool, n));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, blocks.length) }, worker));
  return into;
}

/** The timestamp of block `number` (or "latest"). */
export async function blockTime(pool: RpcPool, number: number | "latest"): Promise<number> {
  const block = await pool.request<{ timestamp?: string } | null>("eth_getBlockByNumber", [
    number === "latest" ? "latest" : hexNumber(number),
    false,
  ]);
  if (block === null || typeof block.timestamp !== "string") {
    throw new CordonError(`block ${number} is not available from any endpoint`, {
      details: "check the block range: it must not go past the chain's head",
    });
  }
  return Number(block.timestamp);
}

/** The newest block at or before `time` (binary search over block times); -1 when `time` precedes block 0. */
export async function blockAtOrBefore(pool: RpcPool, time: number, head: number): Promise<number> {
  let lo = 0;
  let hi = head;
  if ((await blockTime(pool, 0)) > time) return -1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await blockTime(pool, mid)) <= time) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
