/**
 * The hub's own events: trips, pauses, unpauses and expiries, Recovery and Shutdown, guardian and role changes,
 * governance's edits of the rules, and failed pushes. Every protocol's keeper watches its hub with this detector
 * (`config/load.ts` adds one when the protocol lists none), so a breaker that trips on-chain (a rate limit in TRIP
 * mode inside a user's outflow, anyone's `tripOnInvariant`) is a finding and an alert, and, with an action, is
 * followed by the keeper's own pause.
 *
 * A trip's finding carries the action's response marked `afterTrip`: the responder pauses even though the trip has
 * paused the hub already, because a guardian pause lasts its own full duration in an episode a trip started (the
 * hub's pause rule 2) and the configured scopes may be wider than the tripped ones. What the keeper's own keys did
 * (their pauses, their trips) is recorded and alerted on like anything else, and never asks for an action. Classes
 * another detector already reports (`skip`: the roles and rules a privileged-events detector watching the hub sees)
 * are left out.
 */
import { Interface, type LogDescription } from "ethers/abi";
import { getAddress } from "ethers/address";
import { ZeroHash } from "ethers/constants";

import { eventsOf, mergeAbis } from "../contracts/abi.js";
import { CordonHubConstants, HubState, Reasons, cordonHubAbi } from "../contracts/generated/cordon.js";
import type { Log } from "../follower/follower.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import { HUB_EVENT_SEVERITIES, type HubEventClass } from "./hub-event-classes.js";
import { describePrivileged } from "./privileged.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

const CLASS_OF: Record<string, HubEventClass> = {
  InvariantTripped: "trip",
  LimitTripped: "trip",
  ScopesPaused: "pause",
  ScopesUnpaused: "unpause",
  PauseExpired: "unpause",
  CooldownStarted: "unpause",
  RoleGranted: "roles",
  RoleRevoked: "roles",
  RoleAdminChanged: "roles",
  PauseRulesChanged: "rules",
  CooldownLifted: "rules",
  TripCooldownChanged: "rules",
  TripCooldownLifted: "rules",
  AttestationThresholdChanged: "rules",
  GraceChanged: "rules",
  ProtectedContractAdded: "rules",
  ProtectedContractRemoved: "rules",
  LimitSet: "rules",
  ExitsSealed: "rules",
  SyncFailed: "sync",
  // StateChanged: by the state it goes to (classOf)
};

const hubEvents = new Interface(mergeAbis(eventsOf(cordonHubAbi, ["StateChanged", ...Object.keys(CLASS_OF)])));

const PAUSED = HubState.indexOf("Paused");
const ACTIVE = HubState.indexOf("Active");
const SHUTDOWN = HubState.indexOf("Shutdown");
const GOVERNANCE_ROLE = CordonHubConstants.GOVERNANCE_ROLE;
const GUARDIAN_ROLE = CordonHubConstants.GUARDIAN_ROLE;

export interface HubEventsOptions {
  name?: string;
  /** The protocol's CordonHub. */
  hub: string;
  /** The keeper's own accounts (its keys): what they did is recorded and alerted on, never acted on. */
  keepers?: string[];
  /** Overrides every finding's severity. */
  severity?: Severity;
  /** Each class's severity (defaults: {@link HUB_EVENT_SEVERITIES}). */
  severities?: Partial<Record<HubEventClass, Severity>>;
  /** What a trip asks for: a `pause` or `pauseScopes` (marked `afterTrip` on each finding). */
  response?: Response;
  /** Classes another detector reports (the roles and rules a privileged-events detector watching the hub sees). */
  skip?: HubEventClass[];
}

interface Matched {
  log: Log;
  event: LogDescription;
}

const hex = (value: unknown) => `0x${BigInt(value as bigint).toString(16)}`;
const addr = (value: unknown) => getAddress(String(value));
const stateName = (value: unknown) => HubState[Number(value)] ?? String(value);

function reasonName(code: number): string {
  const found = Object.entries(Reasons).find(([, v]) => v === code);
  return found === undefined ? `0x${code.toString(16).padStart(4, "0")}` : found[0];
}

function until(expiry: number): string {
  return expiry === 0 ? "held by governance (no end)" : `until ${new Date(expiry * 1000).toISOString()}`;
}

function classOf(event: LogDescription): HubEventClass {
  if (event.name !== "StateChanged") return CLASS_OF[event.name]!;
  const to = Number(event.args.to);
  if (to === PAUSED) return "pause";
  if (to === ACTIVE) return "unpause";
  return "state";
}

/** The pause a trip made: the StateChanged (to Paused) or ScopesPaused after it in the same transaction. */
function tripPause(matched: Matched[], i: number): Matched | undefined {
  const trip = matched[i]!;
  for (const next of matched.slice(i + 1)) {
    if (next.log.transactionHash !== trip.log.transactionHash) return undefined;
    if (next.event.name === "ScopesPaused") return next;
    if (next.event.name === "StateChanged" && Number(next.event.args.to) === PAUSED) return next;
  }
  return undefined;
}

/** "What happened" for one event, who did it (if the event names them), and its figures. */
function describe(
  { event }: Matched,
  hub: string,
  pause: Matched | undefined,
): { what: string; actor?: string; figures: Record<string, unknown> } {
  const a = event.args;
  switch (event.name) {
    case "InvariantTripped": {
      const expiry = Number(pause?.event.args.expiry ?? 0);
      return {
        what: `${addr(a.caller)} tripped hub ${hub} on ${addr(a.target)}'s failing invariant (code ${a.code}): the protocol is paused ${until(expiry)}`,
        actor: addr(a.caller),
        figures: { incident: Number(a.incidentId), target: addr(a.target), code: String(a.code), expiry },
      };
    }
    case "LimitTripped": {
      const expiry = Number(pause?.event.args.expiry ?? 0);
      return {
        what: `${addr(a.target)} tripped its outflow limit on hub ${hub}: scopes ${hex(a.scopes)} are paused ${until(expiry)} (${reasonName(Number(a.reason))})`,
        actor: addr(a.target),
        figures: {
          incident: Number(a.incidentId),
          target: addr(a.target),
          scopes: hex(a.scopes),
          reason: Number(a.reason),
          expiry,
        },
      };
    }
    case "StateChanged": {
      const expiry = Number(a.expiry);
      const to = Number(a.to);
      const reason = reasonName(Number(a.reason));
      const what =
        to === PAUSED
          ? `${addr(a.actor)} paused hub ${hub} ${until(expiry)} (${reason})`
          : to === ACTIVE && Number(a.reason) === Reasons.PAUSE_EXPIRED
            ? `hub ${hub}'s unconfirmed pause ended by itself: the protocol is Active again`
            : `${addr(a.actor)} moved hub ${hub} from ${stateName(a.from)} to ${stateName(a.to)} (${reason})`;
      return {
        what,
        actor: addr(a.actor),
        figures: {
          incident: Number(a.incidentId),
          from: stateName(a.from),
          to: stateName(a.to),
          reason: Number(a.reason),
          expiry,
        },
      };
    }
    case "ScopesPaused": {
      const expiry = Number(a.expiry);
      return {
        what: `${addr(a.actor)} paused scopes ${hex(a.scopes)} of hub ${hub} ${until(expiry)} (${reasonName(Number(a.reason))})`,
        actor: addr(a.actor),
        figures: { incident: Number(a.incidentId), scopes: hex(a.scopes), reason: Number(a.reason), expiry },
      };
    }
    case "ScopesUnpaused":
      return {
        what: `${addr(a.actor)} unpaused scopes ${hex(a.scopes)} of hub ${hub} (${reasonName(Number(a.reason))})`,
        actor: addr(a.actor),
        figures: { incident: Number(a.incidentId), scopes: hex(a.scopes), reason: Number(a.reason) },
      };
    case "PauseExpired": {
      const what = a.protocolWide
        ? `the pause of hub ${hub} ended by itself`
        : `scopes ${hex(a.scopes)} of hub ${hub} reopened by themselves`;
      const cooldown = Number(a.cooldownUntil);
      return {
        what: `${what}${cooldown === 0 ? "" : `; guardians may pause again ${until(cooldown)}`}`,
        figures: {
          incident: Number(a.incidentId),
          scopes: hex(a.scopes),
          protocolWide: Boolean(a.protocolWide),
          cooldownUntil: cooldown,
        },
      };
    }
    case "CooldownStarted":
      return {
        what: `governance ended hub ${hub}'s guardian pause early: guardians may pause again ${until(Number(a.until))}`,
        figures: { incident: Number(a.incidentId), until: Number(a.until) },
      };
    case "TripCooldownChanged":
      return {
        what: `trips on hub ${hub} now wait ${a.tripCooldown} s after an episode`,
        figures: { tripCooldown: Number(a.tripCooldown) },
      };
    case "TripCooldownLifted":
      return {
        what: `${addr(a.actor)} let scopes ${hex(a.scopes)}${a.invariantTrips ? " and invariant trips" : ""} trip again at once on hub ${hub}`,
        actor: addr(a.actor),
        figures: { scopes: hex(a.scopes), invariantTrips: Boolean(a.invariantTrips) },
      };
    case "ExitsSealed":
      return {
        what: `${addr(a.actor)} sealed hub ${hub}'s exit path ${until(Number(a.until))} (checkpoint ${a.checkpointId})`,
        actor: addr(a.actor),
        figures: { incident: Number(a.incidentId), until: Number(a.until), checkpointId: String(a.checkpointId) },
      };
    case "SyncFailed":
      return {
        what: `hub ${hub}'s push to ${addr(a.target)} failed: that contract may not be where the hub is`,
        figures: { target: addr(a.target), revert: String(a.reason) },
      };
    default:
      // Roles and governance's edits: the privileged-events detector's words.
      return describePrivileged(event, hub);
  }
}

/** The sender of each transaction, looked up once per transaction (for the summary only: it decides nothing). */
async function senders(pool: RpcPool, logs: Log[]): Promise<Map<string, string>> {
  const txs = [...new Set(logs.map((l) => l.transactionHash))];
  const entries = await Promise.all(
    txs.map(async (hash) => {
      try {
        const tx = await pool.request<{ from: string } | null>("eth_getTransactionByHash", [hash]);
        return [hash, tx === null ? "an unknown sender" : getAddress(tx.from)] as const;
      } catch {
        return [hash, "an unknown sender"] as const;
      }
    }),
  );
  return new Map(entries);
}

export function hubEventsDetector(options: HubEventsOptions): Detector {
  const name = options.name ?? "hub-events";
  const hub = getAddress(options.hub);
  const watched = hub.toLowerCase();
  const keepers = new Set((options.keepers ?? []).map((k) => k.toLowerCase()));
  const severities = { ...HUB_EVENT_SEVERITIES, ...options.severities };
  const skip = new Set(options.skip ?? []);
  if (options.response?.kind === "tripOnInvariant") {
    throw new Error(`${name}: a trip is followed by a pause or pause-scopes action, not another trip`);
  }
  const isKeeper = (account: string | undefined) => account !== undefined && keepers.has(account.toLowerCase());
  return {
    name,
    addresses: [hub],
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const matched: Matched[] = [];
      for (const log of range.logs) {
        if (log.address !== watched) continue;
        const event = hubEvents.parseLog({ topics: log.topics, data: log.data });
        if (event !== null) matched.push({ log, event });
      }
      if (matched.length === 0) return [];
      const from = await senders(
        pool,
        matched.map((m) => m.log),
      );
      const findings: DetectorFinding[] = [];
      const folded = new Set<Matched>(); // a trip's own pause is part of the trip's finding
      for (const [i, m] of matched.entries()) {
        if (folded.has(m)) continue;
        let cls = classOf(m.event);
        if (skip.has(cls)) continue;
        const pause = cls === "trip" ? tripPause(matched, i) : undefined;
        if (pause !== undefined) folded.add(pause);
        const { what, actor, figures } = describe(m, hub, pause);
        const txFrom = from.get(m.log.transactionHash)!;
        // The keeper's own doing: the account that acted (the event's actor, or the transaction's sender).
        const own = cls === "trip" ? isKeeper(actor) : isKeeper(actor ?? txFrom);
        if (own && cls === "pause") cls = "ownPause";
        let severity = options.severity ?? severities[cls];
        // A keeper key losing the guardian role can no longer pause: as grave as a grant of governance.
        const critical =
          (m.event.name === "RoleGranted" && [ZeroHash, GOVERNANCE_ROLE].includes(String(m.event.args.role))) ||
          (m.event.name === "RoleRevoked" &&
            String(m.event.args.role) === GUARDIAN_ROLE &&
            isKeeper(String(m.event.args.account)));
        if (critical) severity = "critical";
        const response =
          cls === "trip" && !own && options.response !== undefined && options.response.kind !== "tripOnInvariant"
            ? { ...options.response, afterTrip: { expiry: Number(figures.expiry ?? 0) } }
            : undefined;
        findings.push({
          blockNumber: m.log.blockNumber,
          blockHash: m.log.blockHash,
          detector: name,
          severity,
          summary: `${m.event.name}: ${what}${own ? " (this keeper's key)" : ""} in block ${m.log.blockNumber} (tx ${m.log.transactionHash} from ${txFrom})`,
          data: {
            event: m.event.name,
            class: cls,
            hub,
            actor: actor ?? txFrom,
            txFrom,
            tx: m.log.transactionHash,
            own,
            ...figures,
          },
          ...(response === undefined ? {} : { response }),
        });
      }
      return findings;
    },
  };
}
