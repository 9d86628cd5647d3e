/**
 * Privileged events: who changed who may do what. OpenZeppelin's role, ownership and proxy events (AccessControl,
 * Ownable, ERC-1967) from the configured contracts, and the Cordon hub's governance changes (pause rules, the
 * cooldown, the attestation threshold, grace, protected contracts, limits). An attacker who gets a key usually uses
 * it first to give itself more: these are the earliest sign, before any funds move.
 */
import { Interface, type LogDescription } from "ethers/abi";
import { getAddress } from "ethers/address";
import { ZeroHash } from "ethers/constants";

import { eventsOf, mergeAbis } from "../contracts/abi.js";
import {
  CordonHubConstants,
  OutflowLimitPolicy,
  cordonHubAbi,
  iAccessControlAbi,
  ierc1967Abi,
  ownableAbi,
} from "../contracts/generated/cordon.js";
import type { Log } from "../follower/follower.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

const privilegedInterface = new Interface(
  mergeAbis(
    // OpenZeppelin AccessControl, Ownable, ERC-1967 (proxies)
    eventsOf(iAccessControlAbi),
    eventsOf(ownableAbi),
    eventsOf(ierc1967Abi),
    // CordonHub: governance's changes to the rules
    eventsOf(cordonHubAbi, [
      "PauseRulesChanged",
      "CooldownLifted",
      "AttestationThresholdChanged",
      "GraceChanged",
      "ProtectedContractAdded",
      "ProtectedContractRemoved",
      "LimitSet",
    ]),
  ),
);

const GOVERNANCE_ROLE = CordonHubConstants.GOVERNANCE_ROLE;
/** Roles whose grant hands over the whole contract. */
const CRITICAL_ROLES = new Set<string>([ZeroHash, GOVERNANCE_ROLE]);
const ROLE_NAMES = new Map<string, string>([
  [ZeroHash, "DEFAULT_ADMIN_ROLE"],
  [GOVERNANCE_ROLE, "GOVERNANCE_ROLE"],
  [CordonHubConstants.GUARDIAN_ROLE, "GUARDIAN_ROLE"],
]);
const POLICIES = OutflowLimitPolicy.map((policy) => policy.toLowerCase());

export interface PrivilegedEventsOptions {
  name?: string;
  /** Contracts to watch: the hub, protected contracts, their proxies, tokens with roles. */
  contracts: string[];
  /** Severity of every finding except a grant of the default admin or governance role (always critical). */
  severity?: Severity;
  response?: Response;
}

function roleName(role: string): string {
  return ROLE_NAMES.get(role) ?? role;
}

/**
 * "Who did what to whom" for one role, ownership, proxy or hub governance event, and its raw figures (the hub-events
 * detector uses the same words for the hub's).
 */
export function describePrivileged(
  event: LogDescription,
  contract: string,
): { what: string; actor?: string; figures: Record<string, unknown> } {
  const a = event.args;
  const addr = (v: unknown) => getAddress(String(v));
  switch (event.name) {
    case "RoleGranted":
      return {
        what: `${addr(a.sender)} granted ${roleName(a.role)} to ${addr(a.account)} on ${contract}`,
        actor: addr(a.sender),
        figures: { role: a.role, roleName: roleName(a.role), account: addr(a.account) },
      };
    case "RoleRevoked":
      return {
        what: `${addr(a.sender)} revoked ${roleName(a.role)} from ${addr(a.account)} on ${contract}`,
        actor: addr(a.sender),
        figures: { role: a.role, roleName: roleName(a.role), account: addr(a.account) },
      };
    case "RoleAdminChanged":
      return {
        what: `the admin role of ${roleName(a.role)} on ${contract} changed from ${roleName(a.previousAdminRole)} to ${roleName(a.newAdminRole)}`,
        figures: { role: a.role, previousAdminRole: a.previousAdminRole, newAdminRole: a.newAdminRole },
      };
    case "OwnershipTransferred":
      return {
        what: `ownership of ${contract} moved from ${addr(a.previousOwner)} to ${addr(a.newOwner)}`,
        figures: { previousOwner: addr(a.previousOwner), newOwner: addr(a.newOwner) },
      };
    case "Upgraded":
      return {
        what: `${contract} now runs implementation ${addr(a.implementation)}`,
        figures: { implementation: addr(a.implementation) },
      };
    case "AdminChanged":
      return {
        what: `the proxy admin of ${contract} changed from ${addr(a.previousAdmin)} to ${addr(a.newAdmin)}`,
        figures: { previousAdmin: addr(a.previousAdmin), newAdmin: addr(a.newAdmin) },
      };
    case "BeaconUpgraded":
      return { what: `${contract} now follows beacon ${addr(a.beacon)}`, figures: { beacon: addr(a.beacon) } };
    case "PauseRulesChanged":
      return {
        what: `the pause rules of hub ${contract} changed: guardian pauses last ${a.guardianPauseDuration} s, cooldown ${a.guardianCooldown} s`,
        figures: {
          guardianPauseDuration: Number(a.guardianPauseDuration),
          guardianCooldown: Number(a.guardianCooldown),
        },
      };
    case "CooldownLifted":
      return {
        what: `${addr(a.actor)} lifted the guardian cooldown of hub ${contract}`,
        actor: addr(a.actor),
        figures: {},
      };
    case "AttestationThresholdChanged":
      return {
        what: `the attestation threshold of hub ${contract} is now ${a.threshold}`,
        figures: { threshold: Number(a.threshold) },
      };
    case "GraceChanged":
      return {
        what: `the grace scopes of hub ${contract} are now 0x${BigInt(a.scopes).toString(16)} with a period of ${a.period} s`,
        figures: { scopes: `0x${BigInt(a.scopes).toString(16)}`, period: Number(a.period) },
      };
    case "ProtectedContractAdded":
      return { what: `${addr(a.target)} was added to hub ${contract}`, figures: { target: addr(a.target) } };
    case "ProtectedContractRemoved":
      return { what: `${addr(a.target)} was removed from hub ${contract}`, figures: { target: addr(a.target) } };
    default: {
      // LimitSet, the last event of the interface
      const p = a.params;
      const params = {
        scope: Number(p.scope),
        capacity: BigInt(p.capacity).toString(),
        window: Number(p.window),
        largeThreshold: BigInt(p.largeThreshold).toString(),
        policy: POLICIES[Number(p.policy)] ?? String(p.policy),
        inflowRefills: Boolean(p.inflowRefills),
        queueDelay: Number(p.queueDelay),
      };
      return {
        what:
          `hub ${contract} set the outflow limit of ${addr(a.target)} for ${addr(a.asset)}: capacity ` +
          `${params.capacity} per ${params.window} s, policy ${params.policy}, scope ${params.scope}`,
        figures: { target: addr(a.target), asset: addr(a.asset), params },
      };
    }
  }
}

/** The sender of each transaction, looked up once per transaction: the "who" of events that do not name one. */
async function senders(pool: RpcPool, logs: Log[]): Promise<Map<string, string>> {
  const txs = [...new Set(logs.map((l) => l.transactionHash))];
  const entries = await Promise.all(
    txs.map(async (hash) => {
      const tx = await pool.request<{ from: string } | null>("eth_getTransactionByHash", [hash]);
      return [hash, tx === null ? "an unknown sender" : getAddress(tx.from)] as const;
    }),
  );
  return new Map(entries);
}

export function privilegedEventsDetector(options: PrivilegedEventsOptions): Detector {
  const name = options.name ?? "privileged-events";
  const watched = new Set(options.contracts.map((c) => c.toLowerCase()));
  return {
    name,
    addresses: options.contracts,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const matched: { log: Log; event: LogDescription }[] = [];
      for (const log of range.logs) {
        if (!watched.has(log.address)) continue;
        const event = privilegedInterface.parseLog({ topics: log.topics, data: log.data });
        if (event !== null) matched.push({ log, event });
      }
      if (matched.length === 0) return [];
      const from = await senders(
        pool,
        matched.map((m) => m.log),
      );
      return matched.map(({ log, event }) => {
        const contract = getAddress(log.address);
        const { what, actor, figures } = describePrivileged(event, contract);
        const txFrom = from.get(log.transactionHash)!;
        const critical = event.name === "RoleGranted" && CRITICAL_ROLES.has(event.args.role as string);
        return {
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          detector: name,
          severity: critical ? "critical" : (options.severity ?? "high"),
          summary: `${event.name}: ${what} in block ${log.blockNumber} (tx ${log.transactionHash} from ${txFrom})`,
          data: {
            event: event.name,
            contract,
            actor: actor ?? txFrom,
            txFrom,
            tx: log.transactionHash,
            ...figures,
          },
          response: options.response,
        };
      });
    },
  };
}
