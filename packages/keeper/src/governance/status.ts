/**
 * Everything an operator needs to see of one protocol's hub at one block: its state by name, paused scopes and when
 * they end, the pause rules and cooldown, guardians and governance, the last checkpoints and the digest now, and per
 * protected contract its outflow limits (used, available, time to full) and pending queued outflows. `readStatus`
 * reads it all at one block; `renderStatus` prints it as a table and `statusJson` for scripts.
 */
import { Contract, type Provider } from "ethers";

import {
  OUTFLOW_POLICIES,
  QUEUE_STATUSES,
  ROLES,
  governanceHubInterface,
  guardedInterface,
  hubStateName,
} from "./abi.js";
import { reasonName } from "./reasons.js";
import { formatDuration } from "./revert.js";

/** How many of the latest checkpoints and queued outflow ids the status looks at. */
const CHECKPOINTS_SHOWN = 3;
const QUEUE_SCAN = 256;

export interface LimitStatus {
  asset: string;
  scope: number;
  capacity: bigint;
  window: bigint;
  policy: string;
  queueDelay: bigint;
  used: bigint;
  available: bigint;
  /** Seconds until the full capacity is available again. */
  secondsToFull: bigint;
}

export interface QueuedStatus {
  id: bigint;
  asset: string;
  recipient: string;
  amount: bigint;
  releaseTime: bigint;
  status: string;
  /**
   * Voided by a pause of its asset's scope after it was queued (the contract's `queuedStanding`): claimable once the
   * asset's outflows reopen, or in Shutdown; governance may cancel or approve it meanwhile.
   */
  voided: boolean;
  /** It tripped the breaker: claimable only once governance approves it (`hub.approveQueued`), or cancelled. */
  held: boolean;
}

export interface ProtectedStatus {
  address: string;
  /** The state this contract last received from the hub. */
  state: string;
  limits: LimitStatus[];
  pendingQueue: QueuedStatus[];
  queuedCount: bigint;
}

export interface CheckpointStatus {
  id: bigint;
  blockNumber: bigint;
  timestamp: bigint;
  incidentId: bigint;
  reason: string;
  invariantCode: bigint;
  digest: string;
}

export interface HubStatus {
  hub: string;
  blockNumber: number;
  timestamp: bigint;
  state: string;
  /** The open incident's id, or null when the protocol is fully open. */
  openIncident: bigint | null;
  lastIncident: bigint;
  pausedScopes: { held: number[]; expiring: number[]; grace: number[] };
  /** When the guardian episode (protocol-wide pause or expiring scopes) ends by itself, or null. */
  pauseExpiry: bigint | null;
  protocolWidePauseExpires: boolean;
  graceExpiry: bigint | null;
  cooldownUntil: bigint | null;
  rules: {
    guardianPauseDuration: bigint;
    guardianCooldown: bigint;
    attestationThreshold: bigint;
    graceScopes: number[];
    gracePeriod: bigint;
  };
  guardians: string[];
  governance: string[];
  checkpoints: CheckpointStatus[];
  current: { digest: string; invariantCode: bigint; failing: string | null };
  protected: ProtectedStatus[];
}

/** The scope numbers set in a bit mask. */
export function scopesOf(mask: bigint): number[] {
  const scopes: number[] = [];
  for (let i = 0; mask >> BigInt(i) !== 0n; i++) if ((mask >> BigInt(i)) & 1n) scopes.push(i);
  return scopes;
}

async function roleMembers(hub: Contract, role: string, blockTag: number): Promise<string[]> {
  const count = (await hub.getFunction("getRoleMemberCount")(role, { blockTag })) as bigint;
  const members: string[] = [];
  for (let i = 0n; i < count; i++) members.push(await hub.getFunction("getRoleMember")(role, i, { blockTag }));
  return members;
}

async function readProtected(provider: Provider, address: string, blockTag: number): Promise<ProtectedStatus> {
  const guarded = new Contract(address, guardedInterface, provider);
  const [state] = (await guarded.getFunction("cordonState")({ blockTag })) as [bigint];
  const limits: LimitStatus[] = [];
  for (const asset of (await guarded.getFunction("limitedAssets")({ blockTag })) as string[]) {
    const [params, used, available] = (await guarded.getFunction("outflowLimit")(asset, { blockTag })) as [
      { scope: bigint; capacity: bigint; window: bigint; policy: bigint; queueDelay: bigint },
      bigint,
      bigint,
    ];
    const secondsToFull = (await guarded.getFunction("outflowWait")(asset, params.capacity, { blockTag })) as bigint;
    limits.push({
      asset,
      scope: Number(params.scope),
      capacity: params.capacity,
      window: params.window,
      policy: OUTFLOW_POLICIES[Number(params.policy)] ?? `policy ${params.policy}`,
      queueDelay: params.queueDelay,
      used,
      available,
      secondsToFull,
    });
  }
  const queuedCount = (await guarded.getFunction("queuedCount")({ blockTag })) as bigint;
  const pendingQueue: QueuedStatus[] = [];
  const first = queuedCount > BigInt(QUEUE_SCAN) ? queuedCount - BigInt(QUEUE_SCAN) + 1n : 1n;
  for (let id = first; id <= queuedCount; id++) {
    const entry = await readQueued(guarded, id, blockTag);
    if (entry.status === "Pending") pendingQueue.push(entry);
  }
  return { address, state: hubStateName(state), limits, pendingQueue, queuedCount };
}

/** Reads the status of `hub` at the latest block (every read at that one block). */
export async function readStatus(provider: Provider, hubAddress: string): Promise<HubStatus> {
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("the endpoint returned no latest block");
  const blockTag = block.number;
  const hub = new Contract(hubAddress, governanceHubInterface, provider);
  const view = async <T>(name: string, ...args: unknown[]): Promise<T> =>
    (await hub.getFunction(name)(...args, { blockTag })) as T;

  const sync = await view<{
    state: bigint;
    stateExpires: boolean;
    expiry: bigint;
    graceExpiry: bigint;
    heldScopes: bigint;
    expiringScopes: bigint;
    graceScopes: bigint;
    incidentId: bigint;
    pauseEpoch: bigint;
  }>("currentSync");
  const rules = await view<[bigint, bigint, bigint, bigint, bigint]>("pauseRules");
  const cooldownUntil = await view<bigint>("cooldownUntil");
  const latest = await view<bigint>("latestCheckpointId");
  const checkpoints: CheckpointStatus[] = [];
  for (let id = latest; id > 0n && id > latest - BigInt(CHECKPOINTS_SHOWN); id--) {
    const cp = await view<{
      blockNumber: bigint;
      timestamp: bigint;
      incidentId: bigint;
      reason: bigint;
      invariantCode: bigint;
      digest: string;
    }>("getCheckpoint", id);
    checkpoints.push({
      id,
      blockNumber: cp.blockNumber,
      timestamp: cp.timestamp,
      incidentId: cp.incidentId,
      reason: reasonName(cp.reason),
      invariantCode: cp.invariantCode,
      digest: cp.digest,
    });
  }
  const [digest, invariantCode, failing] = await view<[string, bigint, string]>("currentDigest");
  const fullyOpen = sync.state === 0n && (sync.heldScopes | sync.expiringScopes | sync.graceScopes) === 0n;
  const protectedStatus: ProtectedStatus[] = [];
  for (const address of await view<string[]>("protectedContracts")) {
    protectedStatus.push(await readProtected(provider, address, blockTag));
  }
  return {
    hub: hubAddress,
    blockNumber: blockTag,
    timestamp: BigInt(block.timestamp),
    state: hubStateName(sync.state),
    openIncident: fullyOpen ? null : sync.incidentId,
    lastIncident: sync.incidentId,
    pausedScopes: {
      held: scopesOf(sync.heldScopes),
      expiring: scopesOf(sync.expiringScopes),
      grace: scopesOf(sync.graceScopes),
    },
    pauseExpiry: sync.expiry === 0n ? null : sync.expiry,
    protocolWidePauseExpires: sync.stateExpires,
    graceExpiry: sync.graceExpiry === 0n ? null : sync.graceExpiry,
    cooldownUntil: cooldownUntil > BigInt(block.timestamp) ? cooldownUntil : null,
    rules: {
      guardianPauseDuration: rules[0],
      guardianCooldown: rules[1],
      attestationThreshold: rules[2],
      graceScopes: scopesOf(rules[3]),
      gracePeriod: rules[4],
    },
    guardians: await roleMembers(hub, ROLES.GUARDIAN_ROLE, blockTag),
    governance: await roleMembers(hub, ROLES.GOVERNANCE_ROLE, blockTag),
    checkpoints,
    current: { digest, invariantCode, failing: invariantCode === 0n ? null : failing },
    protected: protectedStatus,
  };
}

/** The status as JSON for scripts: bigints as decimal strings. */
export function statusJson(status: HubStatus): string {
  return JSON.stringify(status, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2);
}

function at(timestamp: bigint, now: bigint): string {
  const iso = new Date(Number(timestamp) * 1000).toISOString();
  return timestamp > now ? `${iso} (in ${formatDuration(timestamp - now)})` : `${iso} (passed)`;
}

function list(items: (string | number)[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}

/** The status as a readable table. */
export function renderStatus(status: HubStatus): string {
  const now = status.timestamp;
  const rows: [string, string][] = [
    ["Hub", status.hub],
    ["Block", `${status.blockNumber} (${new Date(Number(now) * 1000).toISOString()})`],
    ["State", status.state],
    ["Open incident", status.openIncident === null ? "none" : `#${status.openIncident}`],
    ["Scopes held by governance", list(status.pausedScopes.held)],
    ["Scopes paused by guardians", list(status.pausedScopes.expiring)],
    ["Scopes in grace", list(status.pausedScopes.grace)],
  ];
  if (status.pauseExpiry !== null) {
    const what = status.protocolWidePauseExpires ? "protocol-wide pause and guardian scopes" : "guardian scopes";
    rows.push(["Guardian pause ends", `${at(status.pauseExpiry, now)}: ${what}`]);
  }
  if (status.graceExpiry !== null) rows.push(["Grace ends", at(status.graceExpiry, now)]);
  rows.push(["Guardian cooldown", status.cooldownUntil === null ? "none" : `until ${at(status.cooldownUntil, now)}`]);
  rows.push([
    "Pause rules",
    `guardian pause ${formatDuration(status.rules.guardianPauseDuration)}, cooldown ${formatDuration(
      status.rules.guardianCooldown,
    )}, ${status.rules.attestationThreshold} attestation(s) to resume`,
  ]);
  rows.push(["Guardians", list(status.guardians)]);
  rows.push(["Governance", list(status.governance)]);
  rows.push([
    "Invariants now",
    status.current.failing === null
      ? `hold (digest ${status.current.digest})`
      : `FAIL code ${status.current.invariantCode} in ${status.current.failing}`,
  ]);
  for (const cp of status.checkpoints) {
    rows.push([
      `Checkpoint #${cp.id}`,
      `block ${cp.blockNumber}, incident #${cp.incidentId}, ${cp.reason}, code ${cp.invariantCode}, digest ${cp.digest}`,
    ]);
  }
  if (status.checkpoints.length === 0) rows.push(["Checkpoints", "none"]);
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
  for (const target of status.protected) {
    lines.push("", `Protected ${target.address} (sees ${target.state})`);
    if (target.limits.length === 0) lines.push("  no outflow limits");
    for (const l of target.limits) {
      lines.push(
        `  limit ${l.asset} scope ${l.scope} (${l.policy}): used ${l.used} / ${l.capacity}, available ${l.available}, ` +
          `full in ${formatDuration(l.secondsToFull)}, window ${formatDuration(l.window)}`,
      );
    }
    lines.push(`  queue: ${target.pendingQueue.length} pending of ${target.queuedCount}`);
    for (const q of target.pendingQueue) {
      lines.push(
        `  #${q.id} ${q.amount} of ${q.asset} to ${q.recipient}, released ${at(q.releaseTime, now)}` +
          (q.held ? ", held for approval: it tripped the breaker (governance approves or cancels it)" : "") +
          (q.voided ? ", voided by a pause: claimable once its asset's outflows reopen" : ""),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Queued outflow `id` of a guarded contract, with its status by name and its standing as the contract reports it
 * (`queuedStanding`): voided by a later pause of its asset's scope, or held because it tripped the breaker.
 */
export async function readQueued(guarded: Contract, id: bigint, blockTag: number | string): Promise<QueuedStatus> {
  const q = (await guarded.getFunction("queuedOutflow")(id, { blockTag })) as {
    asset: string;
    releaseTime: bigint;
    status: bigint;
    recipient: string;
    amount: bigint;
  };
  const status = QUEUE_STATUSES[Number(q.status)] ?? `status ${q.status}`;
  const [voided, held] = (await guarded.getFunction("queuedStanding")(id, { blockTag })) as [boolean, boolean];
  return {
    id,
    asset: q.asset,
    recipient: q.recipient,
    amount: q.amount,
    releaseTime: q.releaseTime,
    status,
    voided,
    held,
  };
}
