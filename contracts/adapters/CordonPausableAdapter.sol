// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";
import {ICordonGuarded} from "../interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../interfaces/ICordonHub.sol";
import {HubState, HubSync} from "../libraries/CordonTypes.sol";

/**
 * @title CordonPausableAdapter
 * @notice Puts a contract that is already deployed, and already pausable, behind a Cordon hub without redeploying it:
 * an OpenZeppelin `Pausable` with a pauser role, an `AccessManager`-managed `pause()`, Aave's
 * `setPoolPause(bool)`, any pair of calls that pause and unpause it. The hub protects the adapter as it protects any
 * contract; each state it pushes is turned into the target's own pause or unpause call, so the target gets the hub's
 * guardian rules (bounded guardian pauses, cooldowns, governance holds, Recovery and Shutdown), its incident record
 * and its downtime report.
 *
 * Setup: deploy the adapter naming the target and its two calls, give the adapter the role the target's pause
 * function needs (`PAUSER_ROLE`, an `AccessManager` role, the emergency admin), then `hub.addProtected(adapter)`.
 *
 * Rules:
 * - The target is paused while the hub is Paused, while any scope in `scopes` is paused, and in Recovery and
 *   Shutdown unless `openInExitMode` (a plain pausable contract has no withdraw-only path: either everything is
 *   closed or everything is open; in Recovery the exit path also closes while governance seals it).
 * - The adapter only unpauses what it paused: a target its own admin paused stays paused when the hub reopens.
 * - A guardian pause ends by itself at its expiry, with no transaction; the target cannot see that, so anyone may call
 *   {sync} to apply the hub's current state (the hub's `settleExpiry` does the same through a push).
 * - A failing pause or unpause call reverts the push with {CordonAdapterCallFailed}, carrying the target's revert
 *   data: the hub records it (`SyncFailed`) and the incident shows which contract stayed open.
 *
 * The adapter keeps no outflow limits and queues nothing: the limit and queue functions revert with
 * {CordonAdapterHasNoLimits}. Its state digest is the target's paused flag and whether the adapter paused it.
 */
contract CordonPausableAdapter is ICordonGuarded, ICordonCheckpointed {
    /// @notice The hub this adapter obeys.
    address private immutable _hub;
    /// @notice The contract the adapter pauses (its target).
    address public immutable pausable;
    /// @notice The scopes whose pause also pauses the target (besides a protocol-wide pause).
    uint256 public immutable scopes;
    /// @notice Whether the target reopens in Recovery (unless sealed) and Shutdown, the hub's exit modes.
    bool public immutable openInExitMode;
    /// @notice The parameterless view of the target that says whether it is paused (OpenZeppelin's `paused()`).
    bytes4 public immutable pausedSelector;

    /// @dev The call that pauses the target and the one that unpauses it.
    bytes private _pauseCall;
    bytes private _unpauseCall;
    /// @dev The last state the hub pushed.
    HubSync private _sync;
    /// @dev The adapter paused the target, and has not unpaused it since.
    bool private _pausedByCordon;

    uint256 private constant _SCOPE_MASK = (1 << 208) - 1;

    /// @notice The adapter called `target`'s pause function (the hub's incident `incidentId`).
    event TargetPaused(address indexed target, uint64 indexed incidentId);
    /// @notice The adapter called `target`'s unpause function.
    event TargetUnpaused(address indexed target, uint64 indexed incidentId);

    /// @dev `target`'s call `selector` reverted with `reason`: the adapter may lack the role it needs.
    error CordonAdapterCallFailed(address target, bytes4 selector, bytes reason);
    /// @dev `target` does not answer `selector` with a word (no such view): name the view that says it is paused.
    error CordonAdapterUnreadablePaused(address target, bytes4 selector);
    /// @dev The adapter has no outflow limits or queue: set limits on contracts that inherit CordonGuarded.
    error CordonAdapterHasNoLimits();
    /// @dev `field` is invalid: `why`.
    error CordonAdapterInvalidSetup(string field, string why);

    /**
     * @param hub_ The hub.
     * @param target_ The pausable contract (it must have code).
     * @param pauseCall The call that pauses it, e.g. `abi.encodeCall(Pausable.pause, ())` or
     * `abi.encodeWithSignature("setPoolPause(bool)", true)`.
     * @param unpauseCall The call that unpauses it.
     * @param pausedSelector_ The view that says it is paused (`0x5c975abb`, `paused()`).
     * @param scopes_ Scopes of the hub whose pause also pauses the target (0: only protocol-wide pauses).
     * @param openInExitMode_ Whether the target reopens in Recovery and Shutdown.
     */
    constructor(
        address hub_,
        address target_,
        bytes memory pauseCall,
        bytes memory unpauseCall,
        bytes4 pausedSelector_,
        uint256 scopes_,
        bool openInExitMode_
    ) {
        if (hub_.code.length == 0) revert CordonAdapterInvalidSetup("hub", "has no code");
        if (target_.code.length == 0) revert CordonAdapterInvalidSetup("target", "has no code");
        if (pauseCall.length < 4) revert CordonAdapterInvalidSetup("pauseCall", "needs at least a selector");
        if (unpauseCall.length < 4) revert CordonAdapterInvalidSetup("unpauseCall", "needs at least a selector");
        if (scopes_ & ~_SCOPE_MASK != 0) revert CordonAdapterInvalidSetup("scopes", "has bits above scope 207");
        _hub = hub_;
        pausable = target_;
        pausedSelector = pausedSelector_;
        scopes = scopes_;
        openInExitMode = openInExitMode_;
        _pauseCall = pauseCall;
        _unpauseCall = unpauseCall;
        targetPaused(); // reverts with CordonAdapterUnreadablePaused unless the view answers
    }

    // ─────────────────────────────────────────── the hub's state ───────────────────────────────────────────

    /// @inheritdoc ICordonGuarded
    function cordonSync(HubSync calldata sync_) external {
        if (msg.sender != _hub) revert CordonOnlyHub(msg.sender, _hub);
        _apply(sync_);
    }

    /**
     * @notice Applies the hub's current state (`ICordonHub.currentSync`): reopens the target once a guardian pause
     * has expired, or closes it if a push to it failed. Anyone may call it; it only ever does what the hub says.
     */
    function sync() external {
        _apply(ICordonHub(_hub).currentSync());
    }

    /// @notice Whether the target is paused now, as its own view says.
    function targetPaused() public view returns (bool) {
        (bool ok, bytes memory answer) = pausable.staticcall(abi.encodeWithSelector(pausedSelector));
        if (!ok || answer.length < 32) revert CordonAdapterUnreadablePaused(pausable, pausedSelector);
        return abi.decode(answer, (uint256)) != 0;
    }

    /// @notice Whether the hub's last pushed state keeps the target paused now (expired guardian pauses count as
    /// ended).
    function closedNow() public view returns (bool) {
        return _closes(_sync);
    }

    /// @notice Whether the adapter paused the target and has not unpaused it since.
    function pausedByCordon() external view returns (bool) {
        return _pausedByCordon;
    }

    /// @inheritdoc ICordonGuarded
    function cordonHub() external view returns (address) {
        return _hub;
    }

    /// @notice The hub's state as last pushed: the state, its incident and its pause epoch.
    function cordonState() external view returns (HubState state, uint64 incidentId, uint64 pauseEpoch) {
        return (_sync.state, _sync.incidentId, _sync.pauseEpoch);
    }

    /// @inheritdoc ICordonGuarded
    function isScopeOpen(uint8 scope) external view returns (bool) {
        if (scope >= 208) revert CordonInvalidScope(scope);
        return !_closesFor(_sync, 1 << scope);
    }

    // ─────────────────────────────────────────── checkpoints ───────────────────────────────────────────

    /// @inheritdoc ICordonCheckpointed
    function stateDigest() external view returns (bytes32) {
        return keccak256(abi.encode(pausable, targetPaused(), _pausedByCordon));
    }

    /// @inheritdoc ICordonCheckpointed
    function checkInvariants() external pure returns (uint256) {
        return 0;
    }

    // ─────────────────────────────────── no limits, no queue: refused ───────────────────────────────────

    /// @inheritdoc ICordonGuarded
    function cordonSetLimit(address, LimitParams calldata) external pure {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function cordonCancelQueued(uint256) external pure {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function cordonApproveQueued(uint256) external pure {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function claimQueued(uint256) external pure {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function outflowLimit(address) external pure returns (LimitParams memory, uint256, uint256) {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function outflowWait(address, uint256) external pure returns (uint256) {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function queuedOutflow(uint256) external pure returns (QueuedOutflow memory) {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function queuedStanding(uint256) external pure returns (bool, bool) {
        revert CordonAdapterHasNoLimits();
    }

    /// @inheritdoc ICordonGuarded
    function queuedCount() external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc ICordonGuarded
    function limitedAssets() external pure returns (address[] memory) {
        return new address[](0);
    }

    // ─────────────────────────────────────────── internals ───────────────────────────────────────────

    function _apply(HubSync memory sync_) private {
        _sync = sync_;
        bool closed = _closes(sync_);
        bool paused = targetPaused();
        if (closed && !paused) {
            _callTarget(_pauseCall);
            _pausedByCordon = true;
            emit TargetPaused(pausable, sync_.incidentId);
        } else if (!closed && paused && _pausedByCordon) {
            _callTarget(_unpauseCall);
            _pausedByCordon = false;
            emit TargetUnpaused(pausable, sync_.incidentId);
        } else if (!paused) {
            // Unpaused by its own admin meanwhile: what is paused later by someone else is not the adapter's to lift.
            _pausedByCordon = false;
        }
        // The guard word of {CordonGuardedBase}: state, expiry (39 bits), an always-set bit, the paused scopes.
        uint256 guard =
            uint256(sync_.state) |
                ((uint256(sync_.expiry) & ((1 << 39) - 1)) << 8) |
                (1 << 47) |
                (_pausedScopes(sync_) << 48);
        emit CordonSynced(sync_.incidentId, guard);
    }

    function _closes(HubSync memory s) private view returns (bool) {
        return _closesFor(s, scopes);
    }

    /// @dev Whether `s` keeps the target closed now, for a target that follows `mask`'s scopes.
    function _closesFor(HubSync memory s, uint256 mask) private view returns (bool) {
        bool expired = s.expiry != 0 && block.timestamp >= s.expiry;
        if (s.state == HubState.Paused && !(s.stateExpires && expired)) return true;
        if (s.state == HubState.Recovery || s.state == HubState.Shutdown) {
            // In Recovery, an expiry with `stateExpires` is governance's seal of the exit path.
            bool exitSealed = s.state == HubState.Recovery && s.stateExpires && !expired;
            return !openInExitMode || exitSealed;
        }
        // As in CordonGuarded: a paused scope in neither the episode nor the grace period is held with no end;
        // otherwise it is closed until each of the two it is in has ended.
        uint256 paused = _pausedScopes(s) & mask;
        uint256 held = ~s.expiringScopes & ~s.graceScopes;
        uint256 episode = expired ? 0 : s.expiringScopes;
        uint256 grace = block.timestamp < s.graceExpiry ? s.graceScopes : 0;
        return paused & (held | episode | grace) != 0;
    }

    function _pausedScopes(HubSync memory s) private pure returns (uint256) {
        return (s.heldScopes | s.expiringScopes | s.graceScopes) & _SCOPE_MASK;
    }

    function _callTarget(bytes memory data) private {
        // A low-level call, so that the target's revert data reaches the hub's SyncFailed record whole.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = pausable.call(data);
        if (!ok) revert CordonAdapterCallFailed(pausable, bytes4(data), reason);
    }
}
