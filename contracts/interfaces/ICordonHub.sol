// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {HubState, HubSync} from "../libraries/CordonTypes.sol";
import {ICordonGuarded} from "./ICordonGuarded.sol";

/**
 * @title ICordonHub
 * @notice One protocol's emergency state machine: `Active -> Paused -> Recovery -> Active`, and `Shutdown` (terminal,
 * exits only). Pauses are protocol-wide or per scope (an action or a market, up to 208 scopes).
 *
 * Roles are asymmetric on purpose:
 * - Guardians (keepers' keys, a security council Safe) may only pause and take checkpoints.
 * - Governance (a Safe or a TimelockController) alone unpauses, enters Recovery, resumes, shuts down, changes the pause
 *   rules, adds and removes guardians and protected contracts, and sets limits.
 * - Anyone may trip the breaker when a protected contract's invariant check fails, and settle an expired pause.
 * - A protected contract may trip the scopes of its own limits when an outflow limit with the TRIP policy is breached.
 *
 * Pause rules (each proven by tests in `test/hub/`):
 * 1. A guardian pause or a trip starts an episode that ends by itself `guardianPauseDuration` after it began, unless
 *    governance confirms it by entering Recovery or by pausing the same scopes itself. Governance bounds the duration
 *    by {MAX_GUARDIAN_PAUSE_DURATION}.
 * 2. Pausing again while an episode runs never moves its end: guardians cannot chain pauses to keep a protocol down.
 *    One exception, so that no stranger decides when a guardian pause ends: the first guardian pause in an episode a
 *    trip started lasts its own full duration (the episode's end moves to it, once).
 * 3. When an episode a guardian paused in ends unconfirmed, or governance ends it early (unpause), guardians may not
 *    pause again for `guardianCooldown` seconds (at least {MIN_GUARDIAN_COOLDOWN}, so an open window always follows).
 *    An episode only trips were in starts no guardian cooldown: no account without a role moves the guardians' clock.
 *    Governance can lift the cooldown at any time.
 * 4. Trips (a failing invariant, a limit breach) need no role and ignore the guardian cooldown, but are not a free
 *    lever: after a trip, the same scope (or invariant trips as a whole) cannot trip again until `tripCooldown` after
 *    the end of the episode it joined. Governance sets and lifts the trip cooldown. The outflow that tripped is held
 *    until governance approves it.
 * 5. Governance pauses have no end; only governance ends them.
 * 6. Returning to Active by governance (unpause or resume) is refused while any protected contract's invariant fails;
 *    resume also requires every digest to be readable, the protocol's state to equal the named checkpoint (the latest
 *    of the incident, which in Recovery only governance takes) and, if set, M-of-N guardian EIP-712 attestations of
 *    it. To take a stable checkpoint governance may seal the exit path for at most {MAX_SEAL_DURATION}; it reopens by
 *    itself.
 * 7. Shutdown is never left.
 *
 * Every transition either reaches every protected contract or reverts as a whole: each push and checkpoint call is
 * given a fixed gas bound ({PUSH_GAS}, {CHECK_GAS}) and only starts with that bound at hand, a contract that fails
 * within its bound is recorded ({SyncFailed}) and skipped, and transitions cannot nest (a pause from inside a push
 * reverts).
 */
interface ICordonHub {
    /// @dev A guardian's signature on an attestation; `signer` may be a contract (ERC-1271), such as a Safe.
    struct Attestation {
        address signer;
        bytes signature;
    }

    /// @dev A recorded checkpoint of the protocol's accounting state.
    struct Checkpoint {
        uint64 blockNumber;
        uint40 timestamp;
        uint64 incidentId;
        uint16 reason;
        uint256 invariantCode;
        bytes32 digest;
    }

    /// @notice Emitted on every change of the protocol-wide state.
    event StateChanged(
        uint64 indexed incidentId,
        HubState from,
        HubState to,
        address indexed actor,
        uint16 reason,
        uint40 expiry
    );

    /// @notice Emitted when scopes are paused; `expiry` is 0 for a pause held by governance.
    event ScopesPaused(uint64 indexed incidentId, uint256 scopes, address indexed actor, uint16 reason, uint40 expiry);

    /// @notice Emitted when governance unpauses scopes.
    event ScopesUnpaused(uint64 indexed incidentId, uint256 scopes, address indexed actor, uint16 reason);

    /// @notice Emitted when an unconfirmed guardian pause ends by itself; `cooldownUntil` is when guardians may pause
    /// again (0 for the grace period after a resume, which has no cooldown).
    event PauseExpired(
        uint64 indexed incidentId,
        uint40 expiry,
        uint256 scopes,
        bool protocolWide,
        uint40 cooldownUntil
    );

    /// @notice Emitted when a new incident opens (the first pause from a fully open protocol).
    event IncidentOpened(uint64 indexed incidentId, address indexed actor, uint16 reason);

    /// @notice Emitted when an incident closes (the protocol is Active with no scope paused).
    event IncidentClosed(uint64 indexed incidentId, address indexed actor);

    /// @notice Emitted when a checkpoint is recorded.
    event CheckpointTaken(
        uint256 indexed checkpointId,
        uint64 indexed incidentId,
        bytes32 digest,
        uint256 invariantCode,
        uint16 reason
    );

    /// @notice Emitted for each protected contract in a checkpoint.
    event ContractCheckpointed(
        uint256 indexed checkpointId,
        address indexed target,
        bytes32 digest,
        uint256 invariantCode
    );

    /// @notice Emitted when anyone trips the breaker on a failing invariant.
    event InvariantTripped(uint64 indexed incidentId, address indexed target, uint256 code, address indexed caller);

    /// @notice Emitted when a protected contract trips its scopes on a limit breach.
    event LimitTripped(uint64 indexed incidentId, address indexed target, uint256 scopes, uint16 reason);

    /// @notice Emitted when governance enters Recovery, naming the checkpoint the recovery restores to.
    event RecoveryEntered(uint64 indexed incidentId, uint256 indexed checkpointId, bytes32 digest);

    /// @notice Emitted on resume, with the checkpoint resumed from and the attestations counted.
    event Resumed(uint64 indexed incidentId, uint256 indexed checkpointId, bytes32 digest, uint256 attestations);

    /// @notice Emitted when governance adds or removes a protected contract.
    event ProtectedContractAdded(address indexed target);
    event ProtectedContractRemoved(address indexed target);

    /// @notice Emitted when a push to a protected contract fails; the transition itself stands.
    event SyncFailed(address indexed target, bytes reason);

    /// @notice Emitted when governance changes the pause rules.
    event PauseRulesChanged(uint40 guardianPauseDuration, uint40 guardianCooldown);
    /// @notice Emitted when governance ends a guardian's episode early: guardians may pause again from `until`.
    event CooldownStarted(uint64 indexed incidentId, uint40 until);
    /// @notice Emitted when the trip cooldown is set (at construction: the guardian cooldown).
    event TripCooldownChanged(uint40 tripCooldown);
    /// @notice Emitted when governance lets `scopes` (and, if `invariantTrips`, invariant trips) trip again at once.
    event TripCooldownLifted(address indexed actor, uint256 scopes, bool invariantTrips);
    /// @notice Emitted when governance seals the exit path in Recovery until `until`, with the checkpoint it took.
    event ExitsSealed(
        uint64 indexed incidentId,
        uint40 until,
        uint256 indexed checkpointId,
        address indexed actor,
        uint16 reason
    );
    event CooldownLifted(address indexed actor);
    event AttestationThresholdChanged(uint256 threshold);
    event GraceChanged(uint256 scopes, uint40 period);
    event LimitSet(address indexed target, address indexed asset, ICordonGuarded.LimitParams params);

    /// @dev The transition from `from` to `to` is not allowed.
    error CordonInvalidTransition(HubState from, HubState to);
    /// @dev Guardians may not pause until `until` (an unconfirmed pause just ended); governance may lift this.
    error CordonGuardianCooldown(uint40 until);
    /// @dev `duration` is above the hub's hard bound `max`.
    error CordonPauseDurationTooLong(uint256 duration, uint256 max);
    /// @dev The guardian pause duration must be at least one second.
    error CordonPauseDurationZero();
    /// @dev `scopes` has bits above scope 207, or is empty.
    error CordonInvalidScopes(uint256 scopes);
    /// @dev `target` is not a protected contract of this hub.
    error CordonNotProtected(address target);
    /// @dev `target` is already protected.
    error CordonAlreadyProtected(address target);
    /// @dev The hub protects at most `max` contracts.
    error CordonTooManyProtected(uint256 max);
    /// @dev The code copy of the protected list could not be deployed (out of gas): send more gas.
    error CordonProtectedListNotWritten();
    /// @dev `target`'s invariants hold (code 0): there is nothing to trip.
    error CordonInvariantsHold(address target);
    /// @dev `target`'s invariant check fails with `code`: fix the state before returning to Active.
    error CordonInvariantFailing(address target, uint256 code);
    /// @dev Only `valid` distinct guardian attestations were given; `needed` are required.
    error CordonNotEnoughAttestations(uint256 valid, uint256 needed);
    /// @dev Checkpoint `id` is not among the stored ones (`oldest`..`latest`).
    error CordonUnknownCheckpoint(uint256 id, uint256 oldest, uint256 latest);
    /// @dev Resume must name the latest checkpoint (`latest`) of the current incident, not `id`.
    error CordonStaleCheckpoint(uint256 id, uint256 latest);
    /// @dev The protocol's state now (`current`) differs from the checkpoint's (`expected`): take a new checkpoint.
    error CordonDigestMismatch(bytes32 expected, bytes32 current);
    /// @dev The attestation threshold `threshold` is above the number of guardians `guardians`.
    error CordonInvalidThreshold(uint256 threshold, uint256 guardians);
    /// @dev The guardian cooldown `cooldown` is below the hub's floor `min`.
    error CordonCooldownTooShort(uint256 cooldown, uint256 min);
    /// @dev `target` obeys hub `hub`, not this one: it would never be paused by this hub.
    error CordonWrongHub(address target, address hub);
    /// @dev Protected contract `target` may only trip the scopes of its limits (`allowed`), not `scopes`.
    error CordonTripScopesNotAllowed(address target, uint256 scopes, uint256 allowed);
    /// @dev Trip key `key` (a scope, or {INVARIANT_TRIP_KEY}) cannot trip again before `readyAt`; governance may lift.
    error CordonTripCooldown(uint256 key, uint40 readyAt);
    /// @dev `target`'s state digest cannot be read: the resume cannot be checked against the checkpoint.
    error CordonDigestUnreadable(address target);
    /// @dev Checkpoint `id` belongs to incident `checkpointIncident`, not the current `incidentId`.
    error CordonCheckpointOfOtherIncident(uint256 id, uint64 checkpointIncident, uint64 incidentId);
    /// @dev A push or checkpoint call needs `needed` gas at hand to get its bound; only `available` was left. Send
    /// the transaction with more gas.
    error CordonPushGasTooLow(uint256 needed, uint256 available);

    /**
     * @notice Pauses the whole protocol.
     * @dev Requirements: the caller is a guardian or governance; the state is Active or Paused; a guardian is not in
     * cooldown. A guardian's pause ends with the running episode (or starts one); governance's has no end.
     * Takes no checkpoint (neither do {pauseScopes} and the trips), so that a pause costs per protected contract no
     * more than pausing an OpenZeppelin `Pausable` does: a guardian takes one with {checkpoint} in the next
     * transaction (`cordon checkpoint`). {enterRecovery} still needs a checkpoint of this incident, and takes one when
     * given none. Emits {StateChanged} (from Active) and {IncidentOpened} (if nothing was paused).
     */
    function pause(uint16 reason) external;

    /**
     * @notice Pauses the scopes in the bit mask `scopes` (bit i = scope i).
     * @dev Requirements as {pause}; `scopes` non-empty and below bit 208. Emits {ScopesPaused}.
     */
    function pauseScopes(uint256 scopes, uint16 reason) external;

    /**
     * @notice Trips the breaker because `target`'s invariant check fails. Anyone may call it; it needs no role and is
     * never subject to the guardian cooldown. The pause is a guardian-style pause: it ends with the episode unless
     * governance confirms it.
     * @dev Requirements: `target` is protected; its check returns non-zero (or reverts); the state is Active or
     * Paused; invariant trips are not in their trip cooldown. Starts no guardian cooldown. Emits {InvariantTripped}.
     */
    function tripOnInvariant(address target) external;

    /**
     * @notice Pauses `scopes` on behalf of the protected contract calling it (an outflow limit with the TRIP policy).
     * @dev Requirements: the caller is protected; `scopes` are scopes of its limits; none is in its trip cooldown; the
     * state is Active or Paused. Not subject to the guardian cooldown and starts none. Emits {LimitTripped}.
     */
    function tripFromProtected(uint256 scopes, uint16 reason) external;

    /**
     * @notice Ends an expired guardian pause now and pushes the state. Anyone may call it; it changes nothing before
     * the expiry. Protected contracts already treat an expired pause as ended, so this only records it.
     * @dev Emits {PauseExpired} if a pause expired.
     */
    function settleExpiry() external;

    /**
     * @notice Records a checkpoint of every protected contract's state digest and invariant code. A pause takes none:
     * this is the guardian's next transaction after one.
     * @dev Requirements: the caller is a guardian or governance; in Recovery, governance only (the latest checkpoint is
     * the one a resume names). Emits {CheckpointTaken}.
     */
    function checkpoint(uint16 reason) external returns (uint256 checkpointId);

    /**
     * @notice Ends the protocol-wide pause (Paused -> Active) and every scope pause.
     * @dev Requirements: governance; state Paused, or Active with paused scopes; every invariant holds. Ending a
     * guardian's episode early starts the guardian cooldown ({CooldownStarted}).
     */
    function unpause(uint16 reason) external;

    /**
     * @notice Ends the pause of `scopes`.
     * @dev Requirements: governance; every invariant holds. Emits {ScopesUnpaused}.
     */
    function unpauseScopes(uint256 scopes, uint16 reason) external;

    /**
     * @notice Confirms the pause by entering Recovery: normal paths stay closed with no end, the exit path opens.
     * `checkpointId` names the checkpoint the recovery restores to (recorded in the event).
     * @dev Requirements: governance; state Active or Paused; `checkpointId` (if not 0) belongs to the current
     * incident. Emits {StateChanged}.
     */
    function enterRecovery(uint256 checkpointId, uint16 reason) external;

    /**
     * @notice Returns from Recovery to Active from checkpoint `checkpointId`, which must be the latest of this incident
     * and equal the protocol's state now; requires `attestationThreshold` distinct guardian attestations of it.
     * Scopes in the grace set stay paused for the grace period.
     * @dev Requirements: governance; state Recovery; every invariant holds. Emits {Resumed} and {StateChanged}.
     */
    function resume(uint256 checkpointId, Attestation[] calldata attestations, uint16 reason) external;

    /**
     * @notice Shuts the protocol down for good: only the exit path stays open.
     * @dev Requirements: governance; state not Shutdown. Emits {StateChanged}.
     */
    function shutdown(uint16 reason) external;

    /// @notice Sets how long a guardian pause lasts and the cooldown after one ends unconfirmed. Governance only.
    function setPauseRules(uint40 guardianPauseDuration, uint40 guardianCooldown) external;

    /// @notice Lets guardians pause again at once after an unconfirmed pause. Governance only.
    function liftCooldown() external;

    /**
     * @notice Seals the exit path in Recovery for `duration` seconds so the state holds still for a resume, and takes
     * the checkpoint to resume from. Exits reopen by themselves when the seal ends; a resume ends it at once.
     * @dev Requirements: governance; state Recovery; `duration` in `[1, MAX_SEAL_DURATION]`. Emits {ExitsSealed} and
     * {CheckpointTaken}.
     */
    function sealExits(uint40 duration, uint16 reason) external returns (uint256 checkpointId);

    /// @notice Sets how long after a trip's episode ends the same scope (or invariant trips) cannot trip again (0: no
    /// cooldown). Governance only; at most {MAX_GUARDIAN_PAUSE_DURATION}. Emits {TripCooldownChanged}.
    function setTripCooldown(uint40 tripCooldown) external;

    /// @notice Lets `scopes` (and, if `invariantTrips`, invariant trips) trip again at once. Governance only. Emits
    /// {TripCooldownLifted}.
    function liftTripCooldown(uint256 scopes, bool invariantTrips) external;

    /// @notice Sets how many guardian attestations a resume needs (0: none). Governance only.
    function setAttestationThreshold(uint256 threshold) external;

    /// @notice Sets the scopes that stay paused for `period` after a resume (e.g. liquidations). Governance only.
    function setGrace(uint256 scopes, uint40 period) external;

    /// @notice Protects `target`: it receives every state push and is checkpointed. Governance only; `target` must
    /// name this hub as its `cordonHub()`.
    function addProtected(address target) external;

    /// @notice Stops protecting `target`, releasing it first (it is pushed an open Active state). Governance only.
    function removeProtected(address target) external;

    /// @notice Sets `asset`'s outflow limit in protected contract `target`. Governance only.
    function setLimit(address target, address asset, ICordonGuarded.LimitParams calldata params) external;

    /// @notice Cancels queued outflows `ids` of `target`. Governance only.
    function cancelQueued(address target, uint256[] calldata ids) external;

    /// @notice Re-approves queued outflows `ids` of `target` voided by a pause. Governance only.
    function approveQueued(address target, uint256[] calldata ids) external;

    /// @notice The protocol-wide state now (an expired guardian pause counts as ended).
    function state() external view returns (HubState);

    /// @notice What the hub pushes to protected contracts, as of now.
    function currentSync() external view returns (HubSync memory);

    /// @notice Whether `scope` is paused now (including by the protocol-wide state).
    function isScopePaused(uint8 scope) external view returns (bool);

    /// @notice When guardians may pause again (0 or past: now).
    function cooldownUntil() external view returns (uint40);

    /// @notice The trip cooldown, and until when the exit path is sealed in Recovery (0 or past: not sealed).
    function tripRules() external view returns (uint40 tripCooldown, uint40 sealedUntil);

    /// @notice When trip key `key` (a scope, or {INVARIANT_TRIP_KEY}) may trip again (0 or past: now).
    function tripReadyAt(uint256 key) external view returns (uint40);

    /// @notice The current or last incident's id (0 before the first).
    function incidentId() external view returns (uint64);

    /// @notice Checkpoint `id`.
    function getCheckpoint(uint256 id) external view returns (Checkpoint memory);

    /// @notice The latest checkpoint id (0 if none).
    function latestCheckpointId() external view returns (uint256);

    /// @notice The protected contracts.
    function protectedContracts() external view returns (address[] memory);

    /// @notice The protocol's combined state digest and first failing invariant now.
    function currentDigest() external view returns (bytes32 digest, uint256 invariantCode, address failing);

    /// @notice The EIP-712 digest a guardian signs to attest checkpoint `checkpointId`.
    function attestationHash(uint256 checkpointId) external view returns (bytes32);

    /// @notice The pause rules: guardian pause duration, cooldown, attestation threshold, grace scopes and period.
    function pauseRules()
        external
        view
        returns (
            uint40 guardianPauseDuration,
            uint40 guardianCooldown,
            uint256 attestationThreshold,
            uint256 graceScopes,
            uint40 gracePeriod
        );
}
