/**
 * The inputs, reads and hub calls of the day-to-day governance tasks: `set-limit` (an asset's outflow limit in a
 * protected contract), `queue` (list, claim, cancel and approve queued outflows), `guardians` (list, add, remove), `unpause`
 * and `shutdown`. Every input is checked here before anything is simulated, so a typo ends in a message that names
 * the option, the value and the fix instead of an encoder error; the calls then go through `runCall` like every
 * other governance action.
 */
import { Contract, type Provider, formatUnits, getAddress, isAddress } from "ethers";

import { ierc20MetadataAbi } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";
import { OUTFLOW_POLICIES, QUEUE_STATUSES, ROLES, governanceHubInterface, guardedInterface } from "./abi.js";
import { SCOPE_COUNT, hubCall } from "./command.js";
import type { Deployment } from "./deployments.js";
import type { GovernanceCall } from "./executor.js";
import { formatDuration } from "./revert.js";
import { type QueuedStatus, readQueued } from "./status.js";

const MAX_UINT256 = 2n ** 256n - 1n;
const MAX_UINT32 = 2n ** 32n - 1n;
const ERC20 = ierc20MetadataAbi;

/** `--<option> <value>` as a checksummed address. */
export function parseAddress(input: string, option: string): string {
  if (input === "") {
    throw new CordonError(`--${option} is required`, { details: `pass an address, e.g. --${option} 0x5FbD...0aa3` });
  }
  if (!isAddress(input)) {
    throw new CordonError(`--${option} ${input} is not an address`, {
      details: "pass a 20-byte hex address such as 0x5FbDB2315678afecb367f032d93F642f64180aa3",
    });
  }
  return getAddress(input);
}

/** `--<option> <value>` as a whole number from 0 to `max` (seconds, ids). */
export function parseWhole(input: string, option: string, max = MAX_UINT256): bigint {
  const value = /^\d+$/.test(input.trim()) ? BigInt(input.trim()) : -1n;
  if (value < 0n || value > max) {
    throw new CordonError(`--${option} ${input === "" ? '""' : input} is not a whole number from 0 to ${max}`, {
      details: `pass digits only, e.g. --${option} 3600`,
    });
  }
  return value;
}

/** `--scope N`: one scope below the hub's `SCOPE_COUNT`. */
export function parseScope(input: string): number {
  const scope = /^\d+$/.test(input.trim()) ? Number(input.trim()) : NaN;
  if (!Number.isInteger(scope) || scope >= SCOPE_COUNT) {
    throw new CordonError(`scope "${input}" does not exist: scopes are numbers from 0 to ${SCOPE_COUNT - 1}`, {
      details: "pass the scope whose pause closes the asset's outflows, e.g. --scope 1 (see `cordon status`)",
    });
  }
  return scope;
}

/** `--id 1,2`: queued outflow ids, each a positive whole number. */
export function parseIds(input: string): bigint[] {
  const ids = input.split(",").map((part) => part.trim());
  for (const id of ids) {
    if (!/^\d+$/.test(id) || BigInt(id) === 0n) {
      throw new CordonError(`--id ${input}: "${id}" is not a queued outflow id`, {
        details: "pass positive ids from `cordon queue list`, comma-separated, e.g. --id 1,2",
      });
    }
  }
  return ids.map((id) => BigInt(id));
}

/**
 * An amount in the token's units (`1000`, `2.5`) as base units: digits with at most `decimals` decimals, no sign,
 * no exponent, no separators.
 */
export function parseAmount(input: string, decimals: number, option: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(input.trim());
  if (match === null) {
    throw new CordonError(`--${option} ${input === "" ? '""' : input} is not an amount`, {
      details: `pass the amount in whole tokens, digits and an optional decimal point, e.g. --${option} 1000000 or 2.5`,
    });
  }
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) {
    throw new CordonError(`--${option} ${input} has ${fraction.length} decimals; the token has ${decimals}`, {
      details: `round it to at most ${decimals} decimals`,
    });
  }
  const value = BigInt(match[1]! + fraction.padEnd(decimals, "0"));
  if (value > MAX_UINT256) {
    throw new CordonError(`--${option} ${input} is too large`, { details: "pass an amount below 2^256 base units" });
  }
  return value;
}

/** `--policy revert|queue|trip` as `OutflowLimit.Policy`'s index. */
export function parsePolicy(input: string): number {
  const index = OUTFLOW_POLICIES.indexOf(input.trim().toLowerCase() as (typeof OUTFLOW_POLICIES)[number]);
  if (index < 0) {
    throw new CordonError(`--policy ${input} is not a limit policy`, {
      details: "use revert (refuse the outflow), queue (hold it for later) or trip (pause the scope and queue it)",
    });
  }
  return index;
}

export interface TokenUnits {
  decimals: number;
  symbol: string;
}

/** The ERC-20's decimals and symbol, which amounts are typed and shown in; refused when it is not an ERC-20. */
export async function tokenUnits(provider: Provider, token: string): Promise<TokenUnits> {
  const erc20 = new Contract(token, ERC20, provider);
  let decimals: bigint;
  try {
    decimals = (await erc20.getFunction("decimals")()) as bigint;
  } catch (error) {
    throw new CordonError(`${token} does not answer decimals(): it is not an ERC-20 on this network`, {
      details: "check the token address and the --network",
      cause: error,
    });
  }
  const symbol = await erc20
    .getFunction("symbol")()
    .then((s: string) => s)
    .catch(() => "");
  return { decimals: Number(decimals), symbol };
}

/** `--contract`: the protected contract named, or the deployment's only one when it is left out. */
export function protectedTarget(deployment: Deployment, input: string): string {
  if (input !== "") return parseAddress(input, "contract");
  if (deployment.protected.length === 1) return getAddress(deployment.protected[0]!);
  throw new CordonError("--contract is required: the deployment protects more than one contract", {
    details: `pass one of ${deployment.protected.join(", ") || "(none recorded)"}`,
  });
}

/** Refuses a `target` the hub does not protect (reads go straight to it, with no simulation to explain a revert). */
export async function requireProtected(provider: Provider, hub: string, target: string): Promise<void> {
  const contracts = (await new Contract(hub, governanceHubInterface, provider).getFunction(
    "protectedContracts",
  )()) as string[];
  if (!contracts.map((c) => getAddress(c)).includes(getAddress(target))) {
    throw new CordonError(`${target} is not a protected contract of the hub ${hub}`, {
      details: `use one of ${contracts.join(", ") || "(none: the hub protects nothing yet)"}`,
    });
  }
}

export interface SetLimitInput {
  contract: string;
  token: string;
  scope: string;
  capacity: string;
  window: string;
  /** Empty: off (0). */
  largeThreshold: string;
  policy: string;
  queueDelay: string;
  inflowRefills: boolean;
}

/** The hub's `setLimit` call for typed options; amounts are in the token's units (its `decimals()`). */
export async function setLimitCall(
  provider: Provider,
  deployment: Deployment,
  input: SetLimitInput,
): Promise<GovernanceCall> {
  const target = protectedTarget(deployment, input.contract);
  const token = parseAddress(input.token, "token");
  const scope = parseScope(input.scope);
  const window = parseWhole(input.window, "window");
  const policy = parsePolicy(input.policy);
  const queueDelay = parseWhole(input.queueDelay === "" ? "0" : input.queueDelay, "queue-delay", MAX_UINT32);
  const units = await tokenUnits(provider, token);
  const capacity = parseAmount(input.capacity, units.decimals, "capacity");
  const large = input.largeThreshold === "" ? 0n : parseAmount(input.largeThreshold, units.decimals, "large-threshold");
  const params = {
    scope,
    capacity,
    window,
    largeThreshold: large,
    policy,
    inflowRefills: input.inflowRefills,
    queueDelay,
  };
  const label =
    `set the ${units.symbol || token} outflow limit of ${target}: ${input.capacity} per ${formatDuration(window)}, ` +
    `scope ${scope}, ${OUTFLOW_POLICIES[policy]}` +
    (large === 0n ? "" : `, queue above ${input.largeThreshold}`) +
    (queueDelay === 0n ? "" : `, queue delay ${formatDuration(queueDelay)}`);
  return hubCall(deployment, "setLimit", [target, token, params], label);
}

export interface QueueListing {
  target: string;
  blockNumber: number;
  timestamp: bigint;
  queuedCount: bigint;
  /** Every queued outflow, oldest first, whatever its status. */
  entries: QueuedStatus[];
}

/** Every queued outflow of `target` at the latest block (the last `limit` ids), with its status. */
export async function readQueue(provider: Provider, target: string, limit = 256): Promise<QueueListing> {
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("the endpoint returned no latest block");
  const blockTag = block.number;
  const guarded = new Contract(target, guardedInterface, provider);
  const queuedCount = (await guarded.getFunction("queuedCount")({ blockTag })) as bigint;
  const entries: QueuedStatus[] = [];
  const first = queuedCount > BigInt(limit) ? queuedCount - BigInt(limit) + 1n : 1n;
  for (let id = first; id <= queuedCount; id++) {
    entries.push(await readQueued(guarded, id, blockTag));
  }
  return { target, blockNumber: blockTag, timestamp: BigInt(block.timestamp), queuedCount, entries };
}

/** The listing as lines: id, status, amount in token units, recipient, and when a pending one is released. */
export function renderQueue(listing: QueueListing, units: Map<string, TokenUnits>): string {
  const now = listing.timestamp;
  const lines = [
    `Queue of ${listing.target} at block ${listing.blockNumber}: ${listing.queuedCount} queued, ` +
      `${listing.entries.filter((e) => e.status === "Pending").length} pending`,
  ];
  for (const e of listing.entries) {
    const u = units.get(e.asset);
    const amount = u === undefined ? `${e.amount} of ${e.asset}` : `${formatUnits(e.amount, u.decimals)} ${u.symbol}`;
    let when = "";
    if (e.status === "Pending") {
      const iso = new Date(Number(e.releaseTime) * 1000).toISOString();
      when =
        e.releaseTime > now ? `, released at ${iso} (in ${formatDuration(e.releaseTime - now)})` : `, released ${iso}`;
      if (e.held) when += ", held for approval: it tripped the breaker; governance must approve or cancel it";
      else if (e.voided)
        when += ", voided by a pause: claimable once its asset's outflows reopen (governance may cancel it)";
      else if (e.releaseTime <= now) when += ": claimable now";
    }
    lines.push(`  #${e.id} ${e.status.padEnd(9)} ${amount} to ${e.recipient}${when}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The decimals and symbol of every asset in the listing (assets that are not ERC-20s are shown in base units). */
export async function queueUnits(provider: Provider, listing: QueueListing): Promise<Map<string, TokenUnits>> {
  const units = new Map<string, TokenUnits>();
  for (const asset of new Set(listing.entries.map((e) => e.asset))) {
    await tokenUnits(provider, asset).then(
      (u) => units.set(asset, u),
      () => undefined,
    );
  }
  return units;
}

/** `amount` of `asset` in its units (`600.0 USDC`), or in base units when it is not an ERC-20. */
async function formatAmount(provider: Provider, asset: string, amount: bigint): Promise<string> {
  return await tokenUnits(provider, asset).then(
    (u) => `${formatUnits(amount, u.decimals)} ${u.symbol}`,
    () => `${amount} of ${asset}`,
  );
}

/** `claimQueued(id)` on `target`: anyone may send it; the funds go to the outflow's recipient only. */
export async function claimCall(provider: Provider, target: string, id: bigint): Promise<GovernanceCall> {
  const guarded = new Contract(target, guardedInterface, provider);
  const q = await readQueued(guarded, id, "latest");
  if (q.status === "None") {
    throw new CordonError(`queued outflow ${id} of ${target} does not exist`, {
      details: "pick an id from `cordon queue list`. Nothing was sent.",
    });
  }
  if (q.held) {
    throw new CordonError(
      `queued outflow ${id} of ${target} tripped the breaker: it is held until governance approves it, and cannot be claimed before`,
      {
        details:
          `governance must approve it first: npx hardhat cordon queue approve --id ${id} --contract ${target} ` +
          "(or cancel it: cordon queue cancel). Nothing was sent.",
      },
    );
  }
  return {
    to: target,
    data: guardedInterface.encodeFunctionData("claimQueued", [id]),
    label: `claim queued outflow ${id} (${await formatAmount(provider, q.asset, q.amount)} to ${q.recipient})`,
  };
}

/** The hub's `cancelQueued(target, ids)`: governance only. */
export function cancelCall(deployment: Deployment, target: string, ids: bigint[]): GovernanceCall {
  return hubCall(deployment, "cancelQueued", [target, ids], `cancel queued outflow(s) ${ids.join(", ")} of ${target}`);
}

/**
 * The hub's `approveQueued(target, ids)`: governance only. Each id must be held, i.e. pending and the outflow that
 * tripped the breaker (`queuedStanding`): the contract would also "approve" any other pending outflow (re-dating a
 * voided one), so anything else is refused here, naming the id, before anything is simulated.
 */
export async function approveCall(
  provider: Provider,
  deployment: Deployment,
  target: string,
  ids: bigint[],
): Promise<GovernanceCall> {
  const guarded = new Contract(target, guardedInterface, provider);
  const blockTag = await provider.getBlockNumber();
  const seen = new Set<bigint>();
  for (const id of ids) {
    if (seen.has(id)) {
      throw new CordonError(`--id lists queued outflow ${id} twice`, {
        details: "name each id once, e.g. --id 1,2. Nothing was sent.",
      });
    }
    seen.add(id);
    const q = await readQueued(guarded, id, blockTag);
    if (q.status === "None") {
      throw new CordonError(`queued outflow ${id} of ${target} does not exist`, {
        details: "pick an id that `cordon queue list` shows held for approval. Nothing was sent.",
      });
    }
    if (q.status !== "Pending") {
      throw new CordonError(`queued outflow ${id} of ${target} is not held for approval: it is ${q.status}`, {
        details:
          "only a pending outflow that tripped the breaker waits for approval; leave this id out. Nothing was sent.",
      });
    }
    if (!q.held) {
      const standing = q.voided
        ? "it was voided by a later pause, not held by a trip: claim it once its asset's outflows reopen, or cancel it (cordon queue cancel)"
        : "it did not trip the breaker: its recipient (or anyone) claims it once released (cordon queue claim), or governance cancels it (cordon queue cancel)";
      throw new CordonError(`queued outflow ${id} of ${target} is not held for approval`, {
        details: `${standing}. Nothing was sent.`,
      });
    }
  }
  return hubCall(
    deployment,
    "approveQueued",
    [target, ids],
    `approve queued outflow(s) ${ids.join(", ")} of ${target}`,
  );
}

/** The hub's guardians and its attestation threshold now. */
export async function readGuardians(
  provider: Provider,
  hub: string,
): Promise<{ guardians: string[]; attestationThreshold: bigint }> {
  const contract = new Contract(hub, governanceHubInterface, provider);
  const count = (await contract.getFunction("getRoleMemberCount")(ROLES.GUARDIAN_ROLE)) as bigint;
  const guardians: string[] = [];
  for (let i = 0n; i < count; i++) {
    guardians.push(getAddress((await contract.getFunction("getRoleMember")(ROLES.GUARDIAN_ROLE, i)) as string));
  }
  const [, , attestationThreshold] = (await contract.getFunction("pauseRules")()) as [bigint, bigint, bigint];
  return { guardians, attestationThreshold };
}

/**
 * Governance's `grantRole`/`revokeRole` of GUARDIAN_ROLE for `account`, or null when there is nothing to do (already
 * a guardian, or not one). A removal that would leave fewer guardians than the attestation threshold is refused:
 * the hub allows it, but no resume could gather enough attestations afterwards.
 */
export async function guardianCall(
  provider: Provider,
  deployment: Deployment,
  action: "add" | "remove",
  accountInput: string,
): Promise<GovernanceCall | null> {
  const account = parseAddress(accountInput, "account");
  const { guardians, attestationThreshold } = await readGuardians(provider, deployment.hub);
  const isGuardian = guardians.includes(account);
  if (action === "add") {
    if (isGuardian) return null;
    return hubCall(deployment, "grantRole", [ROLES.GUARDIAN_ROLE, account], `add guardian ${account}`);
  }
  if (!isGuardian) return null;
  if (BigInt(guardians.length - 1) < attestationThreshold) {
    throw new CordonError(
      `removing ${account} leaves ${guardians.length - 1} guardian(s), below the ${attestationThreshold} attestation(s) a resume needs`,
      {
        details:
          "add another guardian first (cordon guardians add), or have governance lower the attestation threshold. Nothing was sent.",
      },
    );
  }
  return hubCall(deployment, "revokeRole", [ROLES.GUARDIAN_ROLE, account], `remove guardian ${account}`);
}

/** What `cordon shutdown` prints before anything else: the one hub transition nothing can undo. */
export const SHUTDOWN_WARNING =
  "!!! SHUTDOWN IS TERMINAL: the hub never leaves Shutdown. Deposits, withdrawals and every normal path close for\n" +
  "!!! good; only the withdraw-only exit path stays open. No pause, resume or governance vote can undo it.\n";

/**
 * The hub's `shutdown(reason)`, refused unless `yes` (a dry run needs no confirmation: it sends nothing).
 */
export function shutdownCall(
  deployment: Deployment,
  reason: number,
  reasonLabel: string,
  confirm: { yes: boolean; dryRun: boolean },
): GovernanceCall {
  if (!confirm.yes && !confirm.dryRun) {
    throw new CordonError("shutdown is terminal and was not confirmed: nothing was sent", {
      details:
        "re-run with --yes once governance has decided to shut the protocol down for good (try --dry-run first to simulate it)",
    });
  }
  return hubCall(deployment, "shutdown", [reason], `SHUTDOWN, terminal (${reasonLabel})`);
}
