/**
 * Turns revert data from the hub, a protected contract, OpenZeppelin's AccessControl and TimelockController, or a Safe
 * into plain words: what was refused, in terms of roles and states by name and times left, and what to do about it.
 * Every state-changing task prints this instead of a selector when its simulation fails.
 */
import { AbiCoder, ErrorDescription, Interface, dataSlice } from "ethers";

import { CordonHubConstants } from "../contracts/generated/cordon.js";
import { GOVERNANCE_ERRORS, OPERATION_STATES, QUEUE_STATUSES, hubStateName, roleName } from "./abi.js";

const errors = new Interface(GOVERNANCE_ERRORS);
const LAST_SCOPE = CordonHubConstants.SCOPE_COUNT - 1;
const ERROR_STRING = "0x08c379a0";
const PANIC = "0x4e487b71";
const MAX_UINT256 = 2n ** 256n - 1n;

/** What a revert explanation may use to be precise: the block time the call ran at. */
export interface RevertContext {
  /** The block timestamp (seconds) the call was simulated at; times left are counted from it. */
  now?: bigint;
  /** The protocol-wide guardian pause's expiry (seconds), when one runs: a refused transition says when it ends. */
  pauseExpiry?: bigint;
}

export interface RevertExplanation {
  /** The error's name (`AccessControlUnauthorizedAccount`, `Error`, `Panic`, or `unknown`). */
  error: string;
  /** Its decoded arguments by name. */
  args: Record<string, unknown>;
  /** What was refused, in plain words. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** A Safe's `GS0xx` revert strings (Safe.sol 1.5.0), the ones a governance execution can hit. */
const SAFE_CODES: Record<string, [string, string]> = {
  GS013: ["the Safe's inner call failed (safeTxGas and gasPrice were 0)", "simulate the call from the Safe's address"],
  GS020: ["too few signatures for the Safe's threshold", "collect signatures from more owners"],
  GS025: ["the hash was not approved by the owner it names", "have the owner sign or approve the hash"],
  GS026: [
    "a signature is not from an owner, or signatures are not sorted by owner address",
    "sign with owners only, sorted by address",
  ],
};

/** Seconds as days, hours, minutes and seconds, largest two units: `2 d 3 h`, `4 min 10 s`. */
export function formatDuration(seconds: bigint): string {
  if (seconds <= 0n) return "0 s";
  const units: [bigint, string][] = [
    [86400n, "d"],
    [3600n, "h"],
    [60n, "min"],
    [1n, "s"],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${rest / size} ${unit}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return parts.join(" ");
}

/** `at <ISO time> (in 2 h 5 min)`, or just the time when the context has no clock. */
function when(timestamp: bigint, context: RevertContext): string {
  const iso = new Date(Number(timestamp) * 1000).toISOString();
  if (context.now === undefined) return `at ${iso}`;
  const left = timestamp - context.now;
  return left > 0n ? `at ${iso} (in ${formatDuration(left)})` : `at ${iso} (already passed)`;
}

/** A TimelockController `expectedStates` bit map (bit i: OperationState i) in words: `Waiting or Ready`. */
function operationStates(bits: string): string {
  const mask = BigInt(bits);
  const names = OPERATION_STATES.filter((_, i) => (mask & (1n << BigInt(i))) !== 0n);
  return names.length === 0 ? "in the expected state" : names.join(" or ");
}

function explainCustom(error: ErrorDescription, context: RevertContext): [string, string] {
  const a = error.args;
  switch (error.name) {
    case "AccessControlUnauthorizedAccount": {
      const role = roleName(a.neededRole);
      const fixes: Record<string, string> = {
        GOVERNANCE_ROLE:
          "run the action through governance (--via safe or --via timelock), or grant the role through governance",
        PROPOSER_ROLE: "schedule from an account that holds PROPOSER_ROLE on the timelock (--from), or have it granted",
        EXECUTOR_ROLE: "execute from an account that holds EXECUTOR_ROLE on the timelock (--from), or have it granted",
        CANCELLER_ROLE: "cancel from an account that holds CANCELLER_ROLE on the timelock",
      };
      return [
        `${a.account} does not hold ${role}`,
        fixes[role] ?? `use an account that holds ${role}, or have governance grant it (cordon guardians add)`,
      ];
    }
    case "AccessControlBadConfirmation":
      return ["a role can only be renounced by its holder for itself", "renounce from the account that holds it"];
    case "CordonInvalidTransition": {
      const from = hubStateName(a.from);
      const to = hubStateName(a.to);
      let message = `the hub is ${from} and cannot go to ${to}`;
      if (from === "Paused" && context.pauseExpiry !== undefined && context.pauseExpiry > 0n) {
        message += `; the guardian pause ends by itself ${when(context.pauseExpiry, context)}`;
      }
      const fixes: Record<string, string> = {
        Recovery: "resume from Recovery first (cordon resume), or shut down",
        Shutdown: "nothing: Shutdown is final and only the exit path stays open",
        Active: "only a pause (or paused scopes) can be lifted: check `cordon status`",
        Paused: "check `cordon status`: the hub is not Active or Paused",
      };
      return [message, (from === "Active" ? fixes.Active : fixes[from]) ?? "check `cordon status`"];
    }
    case "CordonGuardianCooldown":
      return [
        `guardians may not pause until the cooldown after an unconfirmed pause ends, ${when(a.until, context)}`,
        "wait for the cooldown, have governance lift it (liftCooldown), or pause through governance",
      ];
    case "CordonPauseDurationTooLong":
      return [
        `${formatDuration(a.duration)} is above the hub's bound of ${formatDuration(a.max)}`,
        "use a shorter one",
      ];
    case "CordonPauseDurationZero":
      return ["the guardian pause duration is zero", "set at least one second"];
    case "CordonInvalidScopes":
      return [
        `scope mask 0x${(a.scopes as bigint).toString(16)} is empty or names a scope above ${LAST_SCOPE}`,
        `name scopes between 0 and ${LAST_SCOPE} (e.g. --scopes 1,2)`,
      ];
    case "CordonInvalidScope":
      return [`scope ${a.scope} is above the last scope (${LAST_SCOPE})`, `use a scope between 0 and ${LAST_SCOPE}`];
    case "CordonNotProtected":
      return [
        `${a.target} is not a protected contract of this hub`,
        "use one of `cordon status`'s protected contracts",
      ];
    case "CordonAlreadyProtected":
      return [`${a.target} is already protected`, "nothing to do"];
    case "CordonTooManyProtected":
      return [`the hub already protects its maximum of ${a.max} contracts`, "remove one first"];
    case "CordonInvariantsHold":
      return [`${a.target}'s invariants hold: there is nothing to trip`, "pause as a guardian instead"];
    case "CordonInvariantFailing":
      return [
        `${a.target}'s invariant check fails with code ${a.code}: the hub refuses to return to Active`,
        "repair the protocol's state (through the Recovery exit path) until the check returns 0, then retry",
      ];
    case "CordonNotEnoughAttestations":
      return [
        `only ${a.valid} valid guardian attestation(s) of the checkpoint, ${a.needed} needed`,
        "collect more (cordon attest) from distinct guardians, sorted by signer address",
      ];
    case "CordonUnknownCheckpoint":
      return [
        (a.latest as bigint) === 0n
          ? `checkpoint ${a.id} does not exist: no checkpoint was taken yet`
          : `checkpoint ${a.id} is not stored (kept: ${a.oldest}..${a.latest})`,
        "take one (cordon checkpoint) or name a stored one",
      ];
    case "CordonStaleCheckpoint":
      return [
        `resume must name the latest checkpoint of the current incident (${a.latest}), not ${a.id}`,
        "take a checkpoint now (cordon checkpoint), have guardians attest it, and resume from it",
      ];
    case "CordonDigestMismatch":
      return [
        `the protocol's state now (${a.current}) differs from the checkpoint's (${a.expected})`,
        "take a new checkpoint of the repaired state, then resume from it",
      ];
    case "CordonInvalidThreshold":
      return [`threshold ${a.threshold} is above the ${a.guardians} guardian(s)`, "add guardians or lower it"];
    case "CordonOnlyHub":
      return [`only the hub ${a.hub} may call this, not ${a.caller}`, "call it through the hub"];
    case "CordonScopeClosed":
      return [
        `scope ${a.scope} is closed: the protocol is ${hubStateName(a.state)} (incident ${a.incidentId})`,
        "wait for the pause to end or governance to lift it",
      ];
    case "CordonExitClosed":
      return [
        `the exit path for ${a.asset} is closed while the protocol is ${hubStateName(a.state)} (incident ${a.incidentId})`,
        "wait for Recovery or the end of the pause",
      ];
    case "CordonOutflowLimited":
      return [
        `${a.amount} of ${a.asset} exceeds its outflow limit: ${a.available} can leave now` +
          ((a.waitSeconds as bigint) === MAX_UINT256
            ? ", and the amount is above the capacity"
            : `, all of it in ${formatDuration(a.waitSeconds)}`),
        "send less, wait, or have governance raise the limit (cordon set-limit)",
      ];
    case "CordonOutflowNotConfigured":
      return [`${a.asset} has no outflow limit`, "have governance set one (cordon set-limit)"];
    case "CordonQueuedNotPending":
      return [
        `queued outflow ${a.id} is not pending (it is ${QUEUE_STATUSES[Number(a.status)] ?? a.status})`,
        "nothing to do",
      ];
    case "CordonQueuedNotReady":
      return [`queued outflow ${a.id} is released ${when(a.releaseTime, context)}`, "claim it after that"];
    case "CordonQueuedVoided":
      return [
        `queued outflow ${a.id} was voided by a pause of its asset's scope after it was queued (epoch ${a.queuedEpoch}, now ${a.currentEpoch})`,
        "claim it once the asset's outflows reopen (or in Shutdown), or have governance approve it (approveQueued) or cancel it",
      ];
    case "CordonQueuedNeedsApproval":
      return [
        `queued outflow ${a.id} tripped the breaker: it is held until governance approves it`,
        "have governance approve it (cordon queue approve) or cancel it (cordon queue cancel, or cordon recover cancels it)",
      ];
    case "OutflowLimitInvalidCapacity":
      return [`capacity ${a.capacity} is zero or above ${a.max}`, "choose a capacity in range"];
    case "OutflowLimitInvalidWindow":
      return [`window ${a.window} s is zero or above ${a.max} s`, "choose a window in range"];
    case "OutflowLimitInvalidLargeThreshold":
      return [
        `large threshold ${a.largeThreshold} is outside ${a.min}..${a.max}`,
        "choose one in range, or 0 to turn it off",
      ];
    case "TimelockUnexpectedOperationState":
      return [
        `timelock operation ${a.operationId} is not ${operationStates(a.expectedStates)}`,
        "schedule it first (--via timelock), execute it once it is ready (--execute), or schedule it again with a new --salt once it is done",
      ];
    case "TimelockInsufficientDelay":
      return [
        `a delay of ${formatDuration(a.delay)} is below the timelock's minimum of ${formatDuration(a.minDelay)}`,
        "schedule with at least the minimum delay",
      ];
    case "TimelockUnexecutedPredecessor":
      return [
        `the timelock operation's predecessor ${a.predecessorId} has not been executed`,
        "execute the predecessor first",
      ];
    case "TimelockUnauthorizedCaller":
      return [`only the timelock itself may call this, not ${a.caller}`, "schedule the call on the timelock"];
    case "TimelockInvalidOperationLength":
      return [
        `a timelock batch needs as many targets (${a.targets}), payloads (${a.payloads}) and values (${a.values})`,
        "pass one payload and value per target",
      ];
    case "FailedCall":
      return [
        "the call the timelock executed failed without a reason",
        "simulate the call from the timelock's address",
      ];
    default:
      return [`${error.name}(${error.args.join(", ")})`, "see the contract's documentation of this error"];
  }
}

/** Explains revert `data` (`0x` for a revert without data) in plain words. */
export function explainRevert(data: string, context: RevertContext = {}): RevertExplanation {
  if (data === "0x" || data === "") {
    return {
      error: "unknown",
      args: {},
      message: "the call reverted without a reason (an out-of-gas, a missing contract, or a bare revert)",
      fix: "check the target address and that the network is the one the deployment is on",
    };
  }
  const selector = dataSlice(data, 0, 4);
  if (selector === ERROR_STRING) {
    const [reason] = AbiCoder.defaultAbiCoder().decode(["string"], dataSlice(data, 4)) as unknown as [string];
    const safe = SAFE_CODES[reason];
    if (safe !== undefined) return { error: "Error", args: { reason }, message: `${reason}: ${safe[0]}`, fix: safe[1] };
    return { error: "Error", args: { reason }, message: reason, fix: "see the contract's documentation" };
  }
  if (selector === PANIC) {
    const [code] = AbiCoder.defaultAbiCoder().decode(["uint256"], dataSlice(data, 4)) as unknown as [bigint];
    return {
      error: "Panic",
      args: { code },
      message: `the contract panicked with code 0x${code.toString(16)} (an assertion, overflow or bad index)`,
      fix: "this is a contract bug or a bad argument: check the arguments",
    };
  }
  const decoded = errors.parseError(data);
  if (decoded === null) {
    return {
      error: "unknown",
      args: { data },
      message: `the call reverted with an unknown error (selector ${selector})`,
      fix: "check that the target is a Cordon hub or protected contract",
    };
  }
  const args: Record<string, unknown> = {};
  decoded.fragment.inputs.forEach((input, i) => (args[input.name] = decoded.args[i]));
  const [message, fix] = explainCustom(decoded, context);
  return { error: decoded.name, args, message, fix };
}
