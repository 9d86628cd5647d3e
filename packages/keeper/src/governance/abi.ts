/**
 * The governance side of Cordon's ABIs as human-readable fragments: every function the tasks call or read on the
 * hub and its protected contracts, and every custom error they (and OpenZeppelin's AccessControl, and the outflow
 * limit library) can revert with, so a revert is always decoded by name.
 */
import { Interface, id } from "ethers";

const LIMIT_PARAMS =
  "(uint8 scope, uint256 capacity, uint256 window, uint256 largeThreshold, uint8 policy, bool inflowRefills, uint32 queueDelay)";
const CHECKPOINT =
  "(uint64 blockNumber, uint40 timestamp, uint64 incidentId, uint16 reason, uint256 invariantCode, bytes32 digest)";
const SYNC =
  "(uint8 state, bool stateExpires, uint40 expiry, uint40 graceExpiry, uint256 heldScopes, uint256 expiringScopes, uint256 graceScopes, uint64 incidentId, uint64 pauseEpoch)";

/** Every custom error a governance or guardian call can end in. */
export const ERROR_FRAGMENTS = [
  // ICordonHub
  "error CordonInvalidTransition(uint8 from, uint8 to)",
  "error CordonGuardianCooldown(uint40 until)",
  "error CordonPauseDurationTooLong(uint256 duration, uint256 max)",
  "error CordonPauseDurationZero()",
  "error CordonInvalidScopes(uint256 scopes)",
  "error CordonNotProtected(address target)",
  "error CordonAlreadyProtected(address target)",
  "error CordonTooManyProtected(uint256 max)",
  "error CordonInvariantsHold(address target)",
  "error CordonInvariantFailing(address target, uint256 code)",
  "error CordonNotEnoughAttestations(uint256 valid, uint256 needed)",
  "error CordonUnknownCheckpoint(uint256 id, uint256 oldest, uint256 latest)",
  "error CordonStaleCheckpoint(uint256 id, uint256 latest)",
  "error CordonDigestMismatch(bytes32 expected, bytes32 current)",
  "error CordonInvalidThreshold(uint256 threshold, uint256 guardians)",
  // ICordonGuarded
  "error CordonOnlyHub(address caller, address hub)",
  "error CordonScopeClosed(uint8 scope, uint8 state, uint64 incidentId)",
  "error CordonExitClosed(address asset, uint8 state, uint64 incidentId)",
  "error CordonOutflowLimited(address asset, uint256 amount, uint256 available, uint256 waitSeconds)",
  "error CordonOutflowNotConfigured(address asset)",
  "error CordonInvalidScope(uint256 scope)",
  "error CordonQueuedNotPending(uint256 id, uint8 status)",
  "error CordonQueuedNotReady(uint256 id, uint40 releaseTime)",
  "error CordonQueuedVoided(uint256 id, uint64 queuedEpoch, uint64 currentEpoch)",
  // OutflowLimit (reverts inside a protected contract's cordonSetLimit)
  "error OutflowLimitInvalidCapacity(uint256 capacity, uint256 max)",
  "error OutflowLimitInvalidWindow(uint256 window, uint256 max)",
  "error OutflowLimitInvalidLargeThreshold(uint256 largeThreshold, uint256 min, uint256 max)",
  // OpenZeppelin AccessControl
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error AccessControlBadConfirmation()",
  // OpenZeppelin TimelockController (and the Address library its execute uses)
  "error TimelockInvalidOperationLength(uint256 targets, uint256 payloads, uint256 values)",
  "error TimelockInsufficientDelay(uint256 delay, uint256 minDelay)",
  "error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates)",
  "error TimelockUnexecutedPredecessor(bytes32 predecessorId)",
  "error TimelockUnauthorizedCaller(address caller)",
  "error FailedCall()",
];

export const governanceHubInterface = new Interface([
  ...ERROR_FRAGMENTS,
  "function pause(uint16 reason)",
  "function pauseScopes(uint256 scopes, uint16 reason)",
  "function checkpoint(uint16 reason) returns (uint256)",
  "function unpause(uint16 reason)",
  "function unpauseScopes(uint256 scopes, uint16 reason)",
  "function enterRecovery(uint256 checkpointId, uint16 reason)",
  "function resume(uint256 checkpointId, (address signer, bytes signature)[] attestations, uint16 reason)",
  "function shutdown(uint16 reason)",
  "function liftCooldown()",
  `function setLimit(address target, address asset, ${LIMIT_PARAMS} params)`,
  "function cancelQueued(address target, uint256[] ids)",
  "function grantRole(bytes32 role, address account)",
  "function revokeRole(bytes32 role, address account)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function getRoleMemberCount(bytes32 role) view returns (uint256)",
  "function getRoleMember(bytes32 role, uint256 index) view returns (address)",
  "function state() view returns (uint8)",
  `function currentSync() view returns (${SYNC})`,
  "function cooldownUntil() view returns (uint40)",
  "function incidentId() view returns (uint64)",
  `function getCheckpoint(uint256 id) view returns (${CHECKPOINT})`,
  "function latestCheckpointId() view returns (uint256)",
  "function protectedContracts() view returns (address[])",
  "function currentDigest() view returns (bytes32 digest, uint256 invariantCode, address failing)",
  "function attestationHash(uint256 checkpointId) view returns (bytes32)",
  "function pauseRules() view returns (uint40 guardianPauseDuration, uint40 guardianCooldown, uint256 attestationThreshold, uint256 graceScopes, uint40 gracePeriod)",
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
]);

/** An OpenZeppelin TimelockController (5.x): what the timelock route schedules, executes and reads. */
export const timelockInterface = new Interface([
  ...ERROR_FRAGMENTS,
  "function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay)",
  "function execute(address target, uint256 value, bytes payload, bytes32 predecessor, bytes32 salt) payable",
  "function hashOperation(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt) pure returns (bytes32)",
  "function getOperationState(bytes32 id) view returns (uint8)",
  "function getTimestamp(bytes32 id) view returns (uint256)",
  "function getMinDelay() view returns (uint256)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
]);

/** `OperationState` of TimelockController, by its index. */
export const OPERATION_STATES = ["Unset", "Waiting", "Ready", "Done"] as const;

export const guardedInterface = new Interface([
  ...ERROR_FRAGMENTS,
  "function cordonState() view returns (uint8 state, uint64 incidentId, uint64 pauseEpoch)",
  `function outflowLimit(address asset) view returns (${LIMIT_PARAMS} params, uint256 used, uint256 available)`,
  "function outflowWait(address asset, uint256 amount) view returns (uint256)",
  "function queuedOutflow(uint256 id) view returns ((address asset, uint40 releaseTime, uint8 status, address recipient, uint64 pauseEpoch, uint256 amount))",
  "function queuedCount() view returns (uint256)",
  "function claimQueued(uint256 id)",
  "function limitedAssets() view returns (address[])",
]);

/** `HubState` of CordonTypes.sol, by its index. */
export const HUB_STATES = ["Active", "Paused", "Recovery", "Shutdown"] as const;
export type HubStateName = (typeof HUB_STATES)[number];

/** `QueueStatus` of ICordonGuarded, by its index. */
export const QUEUE_STATUSES = ["None", "Pending", "Claimed", "Cancelled"] as const;

/** `OutflowLimit.Policy`, by its index: what an outflow beyond the limit does. */
export const OUTFLOW_POLICIES = ["revert", "queue", "trip"] as const;

/** The hub's roles (CordonHub.sol) and a TimelockController's, as the hashes AccessControl reverts with. */
export const ROLES = {
  GOVERNANCE_ROLE: id("CORDON_GOVERNANCE_ROLE"),
  GUARDIAN_ROLE: id("CORDON_GUARDIAN_ROLE"),
  DEFAULT_ADMIN_ROLE: `0x${"00".repeat(32)}`,
  PROPOSER_ROLE: id("PROPOSER_ROLE"),
  EXECUTOR_ROLE: id("EXECUTOR_ROLE"),
  CANCELLER_ROLE: id("CANCELLER_ROLE"),
} as const;

/** The name of a hub state index, or `state <n>` for one this version does not know. */
export function hubStateName(state: bigint | number): string {
  return HUB_STATES[Number(state)] ?? `state ${state}`;
}

/** A role's name from its hash, or the hash itself when it is not a known role. */
export function roleName(hash: string): string {
  const entry = Object.entries(ROLES).find(([, value]) => value === hash.toLowerCase());
  return entry === undefined ? hash : entry[0];
}
