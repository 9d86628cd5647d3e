// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {HubState, HubSync} from "../libraries/CordonTypes.sol";
import {OutflowLimit} from "../limits/OutflowLimit.sol";

/**
 * @title ICordonGuarded
 * @notice A contract protected by a Cordon hub. It keeps the pause state its users' transactions read in its own
 * storage; the hub pushes every change to it in the transaction that makes the change.
 */
interface ICordonGuarded {
    /// @dev The parameters of one asset's outflow limit.
    struct LimitParams {
        /// @dev The scope whose pause closes this asset's outflows (0..207).
        uint8 scope;
        /// @dev Largest amount that may leave at once; refills fully over `window`.
        uint256 capacity;
        /// @dev Seconds for an empty bucket to refill.
        uint256 window;
        /// @dev Outflows above this are always queued (0: off). Stored in 1/2048ths of capacity, rounded down.
        uint256 largeThreshold;
        /// @dev What a breach does: revert, queue, or trip the breaker and queue.
        OutflowLimit.Policy policy;
        /// @dev Whether inflows of the asset give outflow capacity back.
        bool inflowRefills;
        /// @dev Seconds a queued outflow waits before its recipient can claim it.
        uint32 queueDelay;
    }

    /// @dev A queued outflow's life.
    enum QueueStatus {
        None,
        Pending,
        Claimed,
        Cancelled
    }

    /// @dev An outflow held for delayed settlement.
    struct QueuedOutflow {
        address asset;
        uint40 releaseTime;
        QueueStatus status;
        address recipient;
        uint64 pauseEpoch;
        uint256 amount;
    }

    /// @notice Emitted when the hub pushes a new state. `guard` packs what was pushed into one word (one word of log
    /// data keeps a pause cheap): [0..7] the {HubState}, [8..46] the expiry of the guardian episode (or of the seal of
    /// the exit path in Recovery; 0: none), [47] always set, [48..255] the paused scopes (bit 48 + i: scope i).
    event CordonSynced(uint64 indexed incidentId, uint256 guard);

    /// @notice Emitted when governance sets an asset's outflow limit through the hub.
    event OutflowLimitSet(address indexed asset, LimitParams params);

    /// @notice Emitted when an outflow is held instead of sent. `tripped` says the breaker was tripped with it.
    event OutflowQueued(
        uint256 indexed id,
        address indexed asset,
        address indexed recipient,
        uint256 amount,
        uint40 releaseTime,
        bool tripped
    );

    /// @notice Emitted when a queued outflow is paid to its recipient.
    event QueuedOutflowClaimed(uint256 indexed id, address indexed recipient, uint256 amount);

    /// @notice Emitted when governance cancels a queued outflow.
    event QueuedOutflowCancelled(uint256 indexed id, uint256 amount);

    /// @notice Emitted when governance re-approves an outflow voided by a later pause.
    event QueuedOutflowApproved(uint256 indexed id, uint64 pauseEpoch);

    /// @dev Only the hub may call this function.
    error CordonOnlyHub(address caller, address hub);
    /// @dev `scope` is closed: the protocol is in `state` or the scope is paused (incident `incidentId`).
    error CordonScopeClosed(uint8 scope, HubState state, uint64 incidentId);
    /// @dev The withdraw-only exit path is closed while the protocol is Paused or the asset's scope is paused.
    error CordonExitClosed(address asset, HubState state, uint64 incidentId);
    /// @dev `amount` of `asset` exceeds the limit: `available` can leave now, all of `amount` in `waitSeconds`
    /// (`type(uint256).max` if `amount` is above the capacity).
    error CordonOutflowLimited(address asset, uint256 amount, uint256 available, uint256 waitSeconds);
    /// @dev `asset` has no outflow limit: governance must set one (`cordon set-limit`) before it can leave.
    error CordonOutflowNotConfigured(address asset);
    /// @dev `scope` is above the last scope (207).
    error CordonInvalidScope(uint256 scope);
    /// @dev Queued outflow `id` is not pending (it is `status`).
    error CordonQueuedNotPending(uint256 id, QueueStatus status);
    /// @dev Queued outflow `id` cannot be claimed before `releaseTime`.
    error CordonQueuedNotReady(uint256 id, uint40 releaseTime);
    /// @dev Queued outflow `id` was voided by a pause of its asset's outflows after it was queued (epoch `queuedEpoch`,
    /// the voiding pause's `currentEpoch`): it can be claimed once the asset's outflows reopen (or in Shutdown), or
    /// sooner if governance re-approves it.
    error CordonQueuedVoided(uint256 id, uint64 queuedEpoch, uint64 currentEpoch);
    /// @dev Queued outflow `id` tripped the breaker: only governance's approval ({cordonApproveQueued}) releases it.
    error CordonQueuedNeedsApproval(uint256 id);
    /// @dev A protected contract limits at most `max` assets.
    error CordonTooManyLimitedAssets(uint256 max);
    /// @dev The hub ran out of gas tripping `scope` (or could not give a push its gas bound): the outflow reverts
    /// rather than being queued with no pause. Send it again with more gas.
    error CordonTripOutOfGas(uint8 scope);

    /**
     * @notice Applies the hub's state. Called by the hub on every transition.
     * @dev Requirements: the caller is the hub. Emits {CordonSynced}; calls the pause, recovery, resume and shutdown
     * hooks when the state changes.
     */
    function cordonSync(HubSync calldata sync) external;

    /**
     * @notice Sets the outflow limit of `asset`.
     * @dev Requirements: the caller is the hub; `params` valid for {OutflowLimit-configure}. Emits {OutflowLimitSet}.
     */
    function cordonSetLimit(address asset, LimitParams calldata params) external;

    /**
     * @notice Cancels queued outflow `id`; its funds stay in the contract and the cancel hook decides their fate.
     * @dev Requirements: the caller is the hub; `id` is pending. Emits {QueuedOutflowCancelled}.
     */
    function cordonCancelQueued(uint256 id) external;

    /**
     * @notice Re-approves queued outflow `id` after a pause voided it, or releases the outflow that tripped the
     * breaker.
     * @dev Requirements: the caller is the hub; `id` is pending. Emits {QueuedOutflowApproved}.
     */
    function cordonApproveQueued(uint256 id) external;

    /**
     * @notice Pays queued outflow `id` to its recipient. Anyone may call it; the funds only go to the recipient.
     * @dev Requirements: `id` is pending, its release time has passed, it did not trip the breaker (or governance
     * approved it), and either no pause of its asset's outflows has voided it since it was queued (or governance
     * re-approved it) and the exit path of its asset is open, or it was voided and the asset's outflows are open again
     * (the incident is over) or the protocol is shut down. Emits {QueuedOutflowClaimed}.
     */
    function claimQueued(uint256 id) external;

    /// @notice The hub this contract obeys.
    function cordonHub() external view returns (address);

    /// @notice Whether `scope`'s normal path is open now (expired guardian pauses count as ended).
    function isScopeOpen(uint8 scope) external view returns (bool);

    /// @notice The limit of `asset`: its parameters and the used and available amounts now.
    function outflowLimit(
        address asset
    ) external view returns (LimitParams memory params, uint256 used, uint256 available);

    /// @notice Seconds until `amount` of `asset` fits in its limit (0: now; `type(uint256).max`: never).
    function outflowWait(address asset, uint256 amount) external view returns (uint256);

    /// @notice Queued outflow `id`.
    function queuedOutflow(uint256 id) external view returns (QueuedOutflow memory);

    /// @notice Whether pending queued outflow `id` is voided by a later pause (claimable once its asset's outflows
    /// reopen, or in Shutdown) or held because it tripped the breaker (claimable only once governance approves it).
    function queuedStanding(uint256 id) external view returns (bool voided, bool held);

    /// @notice Number of outflows ever queued (ids run from 1 to this).
    function queuedCount() external view returns (uint256);

    /// @notice The assets that have an outflow limit.
    function limitedAssets() external view returns (address[] memory);
}
