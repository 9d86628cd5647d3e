/**
 * The governance side of Cordon's ABIs, from the generated module (`contracts/generated/cordon.ts`, written from the
 * compiled artifacts): every function the tasks call or read on the hub, its protected contracts and an OpenZeppelin
 * TimelockController, and every custom error they can revert with, so a revert is always decoded by name.
 */
import { Interface, ZeroHash, id } from "ethers";

import { HUB_ERRORS, errorsOf, mergeAbis } from "../contracts/abi.js";
import {
  CordonHubConstants,
  HubState,
  OutflowLimitPolicy,
  QueueStatus,
  cordonGuardedAbi,
  cordonHubAbi,
  timelockControllerAbi,
} from "../contracts/generated/cordon.js";

/** Every custom error a governance or guardian call can end in: the hub's, the guarded contracts', the timelock's. */
export const GOVERNANCE_ERRORS = mergeAbis(HUB_ERRORS, errorsOf(timelockControllerAbi));

export const governanceHubInterface = new Interface(mergeAbis(cordonHubAbi, GOVERNANCE_ERRORS));

/** An OpenZeppelin TimelockController (5.x): what the timelock route schedules, executes and reads. */
export const timelockInterface = new Interface(mergeAbis(timelockControllerAbi, GOVERNANCE_ERRORS));

/**
 * `TimelockController.OperationState`, by its index. OpenZeppelin's shipped artifacts carry no AST to read it from,
 * and Cordon does not compile the timelock itself.
 */
export const OPERATION_STATES = ["Unset", "Waiting", "Ready", "Done"] as const;

/** A protected contract (`CordonGuarded`): its ABI and every error a call through the hub can end in. */
export const guardedInterface = new Interface(mergeAbis(cordonGuardedAbi, GOVERNANCE_ERRORS));

/** `HubState` of CordonTypes.sol, by its index. */
export const HUB_STATES = HubState;
export type HubStateName = HubState;

/** `QueueStatus` of ICordonGuarded, by its index. */
export const QUEUE_STATUSES = QueueStatus;

/** `OutflowLimit.Policy`, by its index, as the tasks and config write it (`revert`, `queue`, `trip`). */
export const OUTFLOW_POLICIES = OutflowLimitPolicy.map((p) => p.toLowerCase()) as Lowercase<OutflowLimitPolicy>[];

/** The hub's roles (CordonHub.sol) and a TimelockController's, as the hashes AccessControl reverts with. */
export const ROLES = {
  GOVERNANCE_ROLE: CordonHubConstants.GOVERNANCE_ROLE,
  GUARDIAN_ROLE: CordonHubConstants.GUARDIAN_ROLE,
  DEFAULT_ADMIN_ROLE: ZeroHash,
  // TimelockController's own constants: not compiled here, so their preimages are written out.
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
