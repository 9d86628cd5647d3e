// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ICordonGuarded} from "../interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../interfaces/ICordonHub.sol";
import {HubState, HubSync, Reasons} from "../libraries/CordonTypes.sol";
import {OutflowLimit} from "../limits/OutflowLimit.sol";

/**
 * @title CordonGuardedBase
 * @notice Everything a protected contract inherits, whichever way it learns its hub: {CordonGuarded} (the hub fixed
 * at construction, in an immutable) or {CordonGuardedUpgradeable} (the hub set in an initializer, behind a proxy).
 *
 * - `whenScopeOpen(scope)` guards an action: it reads one slot of this contract's own storage, pushed by the hub.
 * - `_checkOutflow(asset, to, amount)` guards an outflow: it reads and writes the asset's limit slot, which also holds
 *   the pause flags of the scope the limit belongs to, so a limited outflow needs no separate scope check. It returns
 *   false when the outflow was queued instead (the caller then must not transfer); `_sendOutflow` also transfers.
 * - `_checkExit` / `_sendExit` are the withdraw-only exit path: open in Active (unless the asset's scope is paused),
 *   Recovery (unless governance sealed it for a resume) and Shutdown; closed while Paused.
 * - Hooks `_onCordonPause`, `_onCordonRecovery`, `_onCordonResume`, `_onCordonShutdown` run when the hub pushes a new
 *   state; `_onQueuedOutflowCancelled` decides what happens to the funds of a cancelled queued outflow.
 *
 * An expired guardian pause needs no push to end: when a check finds a closed flag, it looks at the expiry the hub
 * pushed with it (a second slot, read only then) and lets the call through if the pause has ended.
 *
 * Queued outflows: a pause that closes an asset's outflows voids what was queued of that asset before it (pauses of
 * other scopes do not). A voided outflow cannot be claimed while the incident keeps the asset's outflows closed, so
 * governance can cancel it; once they reopen (the incident is over), or in Shutdown, its recipient can claim it. The
 * outflow that tripped the breaker is held until governance approves it.
 *
 * Storage: all of Cordon's state lives in one ERC-7201 namespace (`cordon.storage.CordonGuarded`), so a contract behind
 * a proxy can inherit it without touching its own layout.
 */
abstract contract CordonGuardedBase is ICordonGuarded {
    using OutflowLimit for OutflowLimit.Limit;
    using SafeERC20 for IERC20;

    /// @notice The most assets one protected contract may limit: each is refreshed on every push, so this bounds
    /// what a push costs (see {CordonHub-PUSH_GAS}).
    uint256 public constant MAX_LIMITED_ASSETS = 8;

    /// @dev Per-asset data only read off the hot path and off the push. One slot: scope, queueDelay, index, voidEpoch.
    struct LimitMeta {
        uint8 scope; //          ─╮ the scope whose pause closes this asset's outflows (also kept in `assets`)
        uint32 queueDelay; //     │ seconds a queued outflow waits
        uint8 indexPlusOne; //    │ position in the limited assets, plus one (0: not listed)
        uint64 voidEpoch; //     ─╯ the hub's pause epoch of a pause that closed this asset's outflows (see below)
    }

    /// @custom:storage-location erc7201:cordon.storage.CordonGuarded
    struct CordonGuardedStorage {
        /// @dev [0..7] state, [8..46] expiry of the guardian episode (or of the seal in Recovery), [47] sentinel,
        /// [48..255] paused scopes (held, expiring or in grace).
        uint256 guard;
        /// @dev [0..207] scopes whose pause ends at the expiry, [208..252] the hub's pause epoch, [253] `grace` holds
        /// scopes or an end (otherwise a push leaves it unread), [254] sentinel, [255] the protocol-wide pause (or the
        /// seal of the exit path in Recovery) ends at the expiry.
        uint256 expiring;
        /// @dev [0..207] scopes in their grace period after a resume, [208..247] when it ends, [254] sentinel.
        uint256 grace;
        /// @dev What a push reads of the limited assets, in one word: [0..159] the first asset, [160..163] how many,
        /// [164 + 8i .. 171 + 8i] the scope of asset i, [228 + i] an outflow of asset i was queued (or approved) since
        /// its `voidEpoch` was written. Assets after the first are in `moreAssets`.
        uint256 assets;
        mapping(uint256 index => address) moreAssets;
        mapping(address asset => OutflowLimit.Limit) limits;
        mapping(address asset => LimitMeta) limitMeta;
        mapping(uint256 id => QueuedOutflow) queue;
        uint256 queueCount;
        mapping(address asset => uint256) queuedOutstanding;
    }

    // keccak256(abi.encode(uint256(keccak256("cordon.storage.CordonGuarded")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_SLOT = 0xeb896d33053a006b3075681b6c342f6a4b63ec075d2837df3ab839e4f9a0e700;

    uint256 private constant _STATE_MASK = 0xff;
    uint256 private constant _SCOPE_SHIFT = 48;
    uint256 private constant _SCOPE_COUNT = 208;
    uint256 private constant _SCOPE_MASK = (1 << _SCOPE_COUNT) - 1;
    uint256 private constant _STATE_EXPIRES = 1 << 255;
    /// @dev Always-set bits that keep the guard words non-zero, so a push never pays for a zero-to-non-zero write.
    uint256 private constant _GUARD_SENTINEL = 1 << 47;
    uint256 private constant _EXPIRING_SENTINEL = 1 << 254;
    uint256 private constant _EXPIRY_MASK = (1 << 39) - 1;
    uint256 private constant _EPOCH_SHIFT = 208;
    /// @dev The pause epoch kept here: 45 bits, since 2^45 pauses (one per transaction) cannot happen.
    uint256 private constant _EPOCH_MASK = (1 << 45) - 1;
    uint256 private constant _GRACE_IN_USE = 1 << 253;
    uint256 private constant _ASSET_MASK = (1 << 160) - 1;
    uint256 private constant _COUNT_SHIFT = 160;
    uint256 private constant _COUNT_MASK = 0xf;
    uint256 private constant _ASSET_SCOPE_SHIFT = 164;
    uint256 private constant _QUEUED_SHIFT = 228;
    /// @dev The epoch of a queued outflow held until governance approves it (the outflow that tripped the breaker).
    uint64 private constant _HELD = type(uint64).max;

    modifier onlyCordonHub() {
        address hub = cordonHub();
        if (msg.sender != hub) revert CordonOnlyHub(msg.sender, hub);
        _;
    }

    /// @dev Reverts with {CordonScopeClosed} unless `scope` is open. One cold read when open.
    modifier whenScopeOpen(uint8 scope) {
        _requireScopeOpen(scope);
        _;
    }

    // ─────────────────────────────────────────── called by the hub ───────────────────────────────────────────

    /// @inheritdoc ICordonGuarded
    function cordonSync(HubSync calldata sync) external onlyCordonHub {
        HubState previous = HubState(_cordonStorage().guard & _STATE_MASK);
        (uint256 guard, uint256 paused, bool newPause) = _storeSync(sync);

        emit CordonSynced(sync.incidentId, guard);
        // An expired guardian pause ends without a push, so `previous` may still say Paused: a new pause (the epoch
        // moved) can then arrive as Paused again, or as Active with paused scopes. Both are new pauses.
        if (sync.state != previous) {
            if (sync.state == HubState.Paused) _onCordonPause(sync.incidentId);
            else if (sync.state == HubState.Recovery) _onCordonRecovery(sync.incidentId);
            else if (sync.state == HubState.Shutdown) _onCordonShutdown(sync.incidentId);
            else {
                _onCordonResume(sync.incidentId);
                if (newPause && paused != 0) _onCordonPause(sync.incidentId);
            }
        } else if (newPause && (paused != 0 || sync.state == HubState.Paused)) {
            _onCordonPause(sync.incidentId);
        }
    }

    /// @inheritdoc ICordonGuarded
    function cordonSetLimit(address asset, LimitParams calldata params) external onlyCordonHub {
        if (params.scope >= _SCOPE_COUNT) revert CordonInvalidScope(params.scope);
        CordonGuardedStorage storage $ = _cordonStorage();
        OutflowLimit.Limit storage limit = $.limits[asset];
        limit.configure(params.capacity, params.window, params.largeThreshold, params.policy, params.inflowRefills);
        LimitMeta storage meta = $.limitMeta[asset];
        meta.scope = params.scope;
        meta.queueDelay = params.queueDelay;
        uint256 book = $.assets;
        uint256 index = meta.indexPlusOne;
        if (index == 0) {
            index = (book >> _COUNT_SHIFT) & _COUNT_MASK;
            if (index >= MAX_LIMITED_ASSETS) revert CordonTooManyLimitedAssets(MAX_LIMITED_ASSETS);
            meta.indexPlusOne = uint8(index + 1); // at most MAX_LIMITED_ASSETS
            if (index == 0) book |= uint160(asset);
            else $.moreAssets[index] = asset;
            book = (book & ~(_COUNT_MASK << _COUNT_SHIFT)) | ((index + 1) << _COUNT_SHIFT);
        } else {
            --index;
        }
        uint256 scopeShift = _ASSET_SCOPE_SHIFT + 8 * index;
        $.assets = (book & ~(uint256(0xff) << scopeShift)) | (uint256(params.scope) << scopeShift);
        _refreshLimitFlags(asset, params.scope, $.guard, $.expiring, $.grace);
        emit OutflowLimitSet(asset, params);
    }

    /// @inheritdoc ICordonGuarded
    function cordonCancelQueued(uint256 id) external onlyCordonHub {
        QueuedOutflow storage q = _pendingQueued(id);
        q.status = QueueStatus.Cancelled;
        _cordonStorage().queuedOutstanding[q.asset] -= q.amount;
        emit QueuedOutflowCancelled(id, q.amount);
        _onQueuedOutflowCancelled(id, q);
    }

    /// @inheritdoc ICordonGuarded
    function cordonApproveQueued(uint256 id) external onlyCordonHub {
        QueuedOutflow storage q = _pendingQueued(id);
        q.pauseEpoch = _pauseEpoch();
        _markQueued(q.asset);
        emit QueuedOutflowApproved(id, q.pauseEpoch);
    }

    // ─────────────────────────────────────────── users ───────────────────────────────────────────

    /// @inheritdoc ICordonGuarded
    function claimQueued(uint256 id) external {
        CordonGuardedStorage storage $ = _cordonStorage();
        QueuedOutflow storage q = _pendingQueued(id);
        if (block.timestamp < q.releaseTime) revert CordonQueuedNotReady(id, q.releaseTime);
        if (q.pauseEpoch == _HELD) revert CordonQueuedNeedsApproval(id);
        address asset = q.asset;
        LimitMeta storage meta = $.limitMeta[asset];
        uint256 guard = $.guard;
        (bool normalOpen, bool exitOpen) = _pathsOpen(meta.scope, guard, $.expiring, $.grace);
        HubState state = HubState(guard & _STATE_MASK);
        if (q.pauseEpoch < meta.voidEpoch) {
            // Voided by a later pause: held while the incident keeps the asset's outflows closed (governance may
            // cancel it meanwhile), claimable once they reopen or in Shutdown.
            if (!normalOpen && state != HubState.Shutdown) {
                revert CordonQueuedVoided(id, q.pauseEpoch, meta.voidEpoch);
            }
        } else if (!exitOpen) {
            revert CordonExitClosed(asset, state, _hubIncidentId());
        }
        q.status = QueueStatus.Claimed;
        uint256 amount = q.amount;
        $.queuedOutstanding[asset] -= amount;
        emit QueuedOutflowClaimed(id, q.recipient, amount);
        _onQueuedOutflowClaimed(id, q);
        _transferOut(asset, q.recipient, amount);
    }

    // ─────────────────────────────────────────── views ───────────────────────────────────────────

    /// @inheritdoc ICordonGuarded
    function cordonHub() public view virtual returns (address);

    /// @inheritdoc ICordonGuarded
    function isScopeOpen(uint8 scope) public view returns (bool) {
        if (scope >= _SCOPE_COUNT) revert CordonInvalidScope(scope);
        CordonGuardedStorage storage $ = _cordonStorage();
        (bool open, ) = _pathsOpen(scope, $.guard, $.expiring, $.grace);
        return open;
    }

    /// @inheritdoc ICordonGuarded
    function outflowLimit(
        address asset
    ) public view returns (LimitParams memory params, uint256 used, uint256 available) {
        CordonGuardedStorage storage $ = _cordonStorage();
        OutflowLimit.Limit storage limit = $.limits[asset];
        LimitMeta storage meta = $.limitMeta[asset];
        params = LimitParams({
            scope: meta.scope,
            capacity: limit.capacity(),
            window: limit.window(),
            largeThreshold: limit.largeThreshold(),
            policy: limit.policy(),
            inflowRefills: limit.inflowRefills(),
            queueDelay: meta.queueDelay
        });
        (used, available) = limit.state();
    }

    /// @inheritdoc ICordonGuarded
    function outflowWait(address asset, uint256 amount) public view returns (uint256) {
        return _cordonStorage().limits[asset].waitFor(amount);
    }

    /// @inheritdoc ICordonGuarded
    function queuedOutflow(uint256 id) public view returns (QueuedOutflow memory) {
        return _cordonStorage().queue[id];
    }

    /// @inheritdoc ICordonGuarded
    function queuedStanding(uint256 id) public view returns (bool voided, bool held) {
        CordonGuardedStorage storage $ = _cordonStorage();
        QueuedOutflow storage q = $.queue[id];
        held = q.status == QueueStatus.Pending && q.pauseEpoch == _HELD;
        voided = q.status == QueueStatus.Pending && !held && q.pauseEpoch < $.limitMeta[q.asset].voidEpoch;
    }

    /// @inheritdoc ICordonGuarded
    function queuedCount() external view returns (uint256) {
        return _cordonStorage().queueCount;
    }

    /// @inheritdoc ICordonGuarded
    function limitedAssets() public view returns (address[] memory assets) {
        CordonGuardedStorage storage $ = _cordonStorage();
        uint256 book = $.assets;
        assets = new address[]((book >> _COUNT_SHIFT) & _COUNT_MASK);
        for (uint256 i = 0; i < assets.length; ++i) {
            assets[i] = i == 0 ? address(uint160(book)) : $.moreAssets[i];
        }
    }

    /// @notice Amount of `asset` held for pending queued outflows.
    function queuedOutstanding(address asset) public view returns (uint256) {
        return _cordonStorage().queuedOutstanding[asset];
    }

    /// @notice The protocol-wide state and the pause epoch as this contract last heard them, and the hub's current
    /// incident (not kept here: a push writes one word less).
    function cordonState() public view returns (HubState state, uint64 incidentId, uint64 pauseEpoch) {
        return (HubState(_cordonStorage().guard & _STATE_MASK), _hubIncidentId(), _pauseEpoch());
    }

    // ─────────────────────────────────────────── for inheritors ───────────────────────────────────────────

    /// @dev Reverts with {CordonScopeClosed} unless `scope` is open.
    function _requireScopeOpen(uint8 scope) internal view virtual {
        uint256 guard = _cordonStorage().guard;
        // Active is 0, so one mask test covers both the protocol state and the scope's bit.
        if (guard & (_STATE_MASK | (1 << (_SCOPE_SHIFT + uint256(scope)))) != 0 || scope >= _SCOPE_COUNT) {
            _requireScopeOpenSlow(scope, guard);
        }
    }

    /// @dev Whether `asset`'s normal outflow path is open now. Reads the limit slot an outflow reads anyway.
    function _isOutflowOpen(address asset) internal view returns (bool) {
        CordonGuardedStorage storage $ = _cordonStorage();
        if (!$.limits[asset].isClosed(false)) return true;
        (bool normalOpen, ) = _pathsOpen($.limitMeta[asset].scope, $.guard, $.expiring, $.grace);
        return normalOpen;
    }

    /// @dev Reverts with {CordonScopeClosed} naming `asset`'s scope unless its normal outflow path is open.
    function _requireOutflowOpen(address asset) internal view {
        if (!_isOutflowOpen(asset)) {
            CordonGuardedStorage storage $ = _cordonStorage();
            revert CordonScopeClosed($.limitMeta[asset].scope, HubState($.guard & _STATE_MASK), _hubIncidentId());
        }
    }

    /**
     * @dev Books an outflow of `amount` of `asset` to `to` against its limit. Returns true if the caller may transfer
     * now; false if the outflow was queued for `to` (do not transfer). Reverts when the asset's scope is closed, when
     * the asset has no limit, and on a breach under the REVERT policy.
     */
    function _checkOutflow(address asset, address to, uint256 amount) internal returns (bool) {
        if (_cordonStorage().limits[asset].tryConsume(amount, false)) return true;
        return _outflowSlow(asset, to, amount, false);
    }

    /// @dev {_checkOutflow} for the withdraw-only exit path, open in Recovery and Shutdown.
    function _checkExit(address asset, address to, uint256 amount) internal returns (bool) {
        if (_cordonStorage().limits[asset].tryConsume(amount, true)) return true;
        return _outflowSlow(asset, to, amount, true);
    }

    /// @dev {_checkOutflow}, then transfers the ERC-20 `asset` if the outflow was not queued.
    function _sendOutflow(address asset, address to, uint256 amount) internal returns (bool sent) {
        sent = _checkOutflow(asset, to, amount);
        if (sent) _transferOut(asset, to, amount);
    }

    /// @dev {_checkExit}, then transfers if the outflow was not queued.
    function _sendExit(address asset, address to, uint256 amount) internal returns (bool sent) {
        sent = _checkExit(asset, to, amount);
        if (sent) _transferOut(asset, to, amount);
    }

    /// @dev Gives outflow capacity back for an inflow of `amount` of `asset`, if its limit is configured so.
    function _recordInflow(address asset, uint256 amount) internal {
        _cordonStorage().limits[asset].refill(amount);
    }

    /// @dev Sends `amount` of `asset` to `to`. Override for native currency or a custom transfer.
    function _transferOut(address asset, address to, uint256 amount) internal virtual {
        IERC20(asset).safeTransfer(to, amount);
    }

    /// @dev Called when the protocol becomes Paused or a new scope pause arrives.
    function _onCordonPause(uint64 incidentId) internal virtual {}

    /// @dev Called when the protocol enters Recovery.
    function _onCordonRecovery(uint64 incidentId) internal virtual {}

    /// @dev Called when the protocol returns to Active.
    function _onCordonResume(uint64 incidentId) internal virtual {}

    /// @dev Called when the protocol is shut down.
    function _onCordonShutdown(uint64 incidentId) internal virtual {}

    /// @dev Called when an outflow is queued instead of sent.
    function _onOutflowQueued(uint256 id, address recipient, address asset, uint256 amount) internal virtual {}

    /// @dev Called when queued outflow `id` is claimed, before its funds are sent.
    function _onQueuedOutflowClaimed(uint256 id, QueuedOutflow storage queued) internal virtual {}

    /// @dev Called when governance cancels queued outflow `id`; its funds are still held by this contract.
    function _onQueuedOutflowCancelled(uint256 id, QueuedOutflow storage queued) internal virtual {}

    // ─────────────────────────────────────────── private ───────────────────────────────────────────

    function _cordonStorage() private pure returns (CordonGuardedStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _STORAGE_SLOT
        }
    }

    /// @dev The hub's pause epoch as last pushed here.
    function _pauseEpoch() private view returns (uint64) {
        return uint64((_cordonStorage().expiring >> _EPOCH_SHIFT) & _EPOCH_MASK); // 45 bits
    }

    /// @dev The hub's current incident, for revert data and views (0 if the hub does not answer).
    function _hubIncidentId() private view returns (uint64 id) {
        address hub = cordonHub();
        bytes4 selector = ICordonHub.incidentId.selector;
        bool ok;
        uint256 word;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            ok := staticcall(gas(), hub, 0x00, 0x04, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            word := mload(0x00)
        }
        if (ok) id = uint64(word); // a hub's incident id is a uint64
    }

    /// @dev Writes what push `sync` says into the guard words and every limited asset's flags. Returns the guard word,
    /// the paused scopes and whether the push brings a new pause (the epoch moved).
    function _storeSync(HubSync calldata sync) private returns (uint256 guard, uint256 paused, bool newPause) {
        CordonGuardedStorage storage $ = _cordonStorage();
        uint256 previousExpiring = $.expiring;
        uint256 epoch = uint256(sync.pauseEpoch) & _EPOCH_MASK;
        paused = (sync.heldScopes | sync.expiringScopes | sync.graceScopes) & _SCOPE_MASK;
        // An expiry fits 39 bits until the year 19400.
        guard =
            uint256(sync.state) |
            ((uint256(sync.expiry) & _EXPIRY_MASK) << 8) |
            _GUARD_SENTINEL |
            (paused << _SCOPE_SHIFT);
        uint256 graceScopes = sync.graceScopes & _SCOPE_MASK;
        bool graceInUse = graceScopes != 0 || sync.graceExpiry != 0;
        uint256 expiring =
            (sync.expiringScopes & _SCOPE_MASK) |
                (epoch << _EPOCH_SHIFT) |
                (graceInUse ? _GRACE_IN_USE : 0) |
                _EXPIRING_SENTINEL |
                (sync.stateExpires ? _STATE_EXPIRES : 0);
        // The grace word is only read and written while it holds something or is being emptied: otherwise it holds
        // no scope, which is what this push says too.
        uint256 grace = _EXPIRING_SENTINEL;
        if (graceInUse || previousExpiring & _GRACE_IN_USE != 0) {
            grace = graceScopes | (uint256(sync.graceExpiry) << 208) | _EXPIRING_SENTINEL;
            if ($.grace != grace) $.grace = grace;
        }
        $.guard = guard;
        if (previousExpiring != expiring) $.expiring = expiring;

        newPause = epoch != (previousExpiring >> _EPOCH_SHIFT) & _EPOCH_MASK;
        _syncLimits(guard, expiring, grace, newPause ? epoch : 0);
    }

    /// @dev Brings every limited asset's closed flags in line with a push; `newEpoch` is the epoch of a new pause
    /// (0: the push brings none), which voids what was queued before of each asset whose outflows it closes.
    function _syncLimits(uint256 guard, uint256 expiring, uint256 grace, uint256 newEpoch) private {
        CordonGuardedStorage storage $ = _cordonStorage();
        uint256 book = $.assets;
        uint256 n = (book >> _COUNT_SHIFT) & _COUNT_MASK;
        uint256 voided = 0;
        for (uint256 i = 0; i < n; ++i) {
            address asset = i == 0 ? address(uint160(book)) : $.moreAssets[i];
            uint8 scope = uint8(book >> (_ASSET_SCOPE_SHIFT + 8 * i));
            bool normalOpen = _refreshLimitFlags(asset, scope, guard, expiring, grace);
            // A pause that closes this asset's outflows voids what was queued of it before. Only an outflow queued
            // since the last write can change its standing, so with none the write is skipped: every outflow queued
            // earlier is voided already, and the first closing pause after a new one still voids it.
            uint256 queuedBit = 1 << (_QUEUED_SHIFT + i);
            if (newEpoch != 0 && !normalOpen && book & queuedBit != 0) {
                $.limitMeta[asset].voidEpoch = uint64(newEpoch); // 45 bits
                voided |= queuedBit;
            }
        }
        if (voided != 0) $.assets = book & ~voided;
    }

    /// @dev Marks that an outflow of `asset` was queued (or approved) since its void epoch was last written.
    function _markQueued(address asset) private {
        CordonGuardedStorage storage $ = _cordonStorage();
        // Only a listed asset (one with a limit) can have an outflow queued, so `indexPlusOne` is at least 1.
        uint256 bit = 1 << (_QUEUED_SHIFT + $.limitMeta[asset].indexPlusOne - 1);
        uint256 book = $.assets;
        if (book & bit == 0) $.assets = book | bit;
    }

    function _requireScopeOpenSlow(uint8 scope, uint256 guard) private view {
        if (scope >= _SCOPE_COUNT) revert CordonInvalidScope(scope);
        CordonGuardedStorage storage $ = _cordonStorage();
        (bool open, ) = _pathsOpen(scope, guard, $.expiring, $.grace);
        if (!open) revert CordonScopeClosed(scope, HubState(guard & _STATE_MASK), _hubIncidentId());
    }

    /// @dev Whether the normal path and the exit path of `scope` are open now, counting expired pauses as ended.
    function _pathsOpen(
        uint8 scope,
        uint256 guard,
        uint256 expiring,
        uint256 grace
    ) private view returns (bool normalOpen, bool exitOpen) {
        HubState state = HubState(guard & _STATE_MASK);
        uint256 expiry = (guard >> 8) & _EXPIRY_MASK;
        bool expired = expiry != 0 && block.timestamp >= expiry;
        bool scopePaused = false;
        if ((guard >> (_SCOPE_SHIFT + uint256(scope))) & 1 == 1) {
            bool inEpisode = (expiring >> scope) & 1 == 1;
            bool inGrace = (grace >> scope) & 1 == 1;
            bool graceOver = block.timestamp >= ((grace >> 208) & type(uint40).max);
            // Held by governance (in neither set) has no end; otherwise closed until each set it is in has ended.
            scopePaused = (!inEpisode && !inGrace) || (inEpisode && !expired) || (inGrace && !graceOver);
        }
        bool endsAtExpiry = expiring & _STATE_EXPIRES != 0;
        bool protocolPaused = state == HubState.Paused && !(expired && endsAtExpiry);
        // In Recovery the expiry is governance's seal of the exit path before a resume.
        bool exitSealed = state == HubState.Recovery && endsAtExpiry && !expired;
        bool exitMode = state == HubState.Recovery || state == HubState.Shutdown;
        normalOpen = !protocolPaused && !exitMode && !scopePaused;
        exitOpen = (exitMode && !exitSealed) || (!protocolPaused && !scopePaused && !exitMode);
    }

    /// @dev Brings `asset`'s closed flags in line with the pushed state; returns whether its normal path is open.
    function _refreshLimitFlags(
        address asset,
        uint8 scope,
        uint256 guard,
        uint256 expiring,
        uint256 grace
    ) private returns (bool normalOpen) {
        OutflowLimit.Limit storage limit = _cordonStorage().limits[asset];
        bool exitOpen;
        (normalOpen, exitOpen) = _pathsOpen(scope, guard, expiring, grace);
        if (limit.isClosed(false) == normalOpen || limit.isClosed(true) == exitOpen) {
            limit.setClosed(!normalOpen, !exitOpen);
        }
    }

    function _outflowSlow(address asset, address to, uint256 amount, bool exitPath) private returns (bool) {
        CordonGuardedStorage storage $ = _cordonStorage();
        OutflowLimit.Limit storage limit = $.limits[asset];
        OutflowLimit.Status status = limit.refusal(amount, exitPath);
        if (status == OutflowLimit.Status.NotConfigured) revert CordonOutflowNotConfigured(asset);
        uint8 scope = $.limitMeta[asset].scope;
        if (status == OutflowLimit.Status.Closed) {
            // The flag may be stale: a guardian pause that expired needs no push to end.
            uint256 guard = $.guard;
            _refreshLimitFlags(asset, scope, guard, $.expiring, $.grace);
            if (limit.isClosed(exitPath)) {
                if (exitPath) revert CordonExitClosed(asset, HubState(guard & _STATE_MASK), _hubIncidentId());
                revert CordonScopeClosed(scope, HubState(guard & _STATE_MASK), _hubIncidentId());
            }
            status = limit.consume(amount, exitPath);
            if (status == OutflowLimit.Status.Ok) return true;
        }
        // A breach: OverLimit or Large.
        OutflowLimit.Policy policy = limit.policy();
        if (status == OutflowLimit.Status.OverLimit && policy == OutflowLimit.Policy.Revert) {
            (, uint256 available) = limit.state();
            revert CordonOutflowLimited(asset, amount, available, limit.waitFor(amount));
        }
        bool trip = status == OutflowLimit.Status.OverLimit && policy == OutflowLimit.Policy.Trip;
        if (trip) trip = _trip(scope);
        _enqueue(asset, to, amount, trip);
        return false;
    }

    /**
     * @dev Asks the hub to pause `scope` (a TRIP breach); returns whether it did. The hub pauses the scope and pushes
     * the new state back here before this call returns. This transaction must succeed for the pause to persist, so the
     * outflow is queued, not reverted, when the hub refuses (Recovery or Shutdown already stop normal outflows, or the
     * scope's trip cooldown runs): then it is an ordinary queued outflow.
     *
     * A refusal for want of gas is not a refusal: a caller who picks the gas must not turn a trip into a silent queue.
     * If the hub ran out of gas (the call left less than 1/63 of what this frame had, so it was given nearly all and
     * spent it) or refused because a push could not get its gas bound, the whole outflow reverts.
     */
    function _trip(uint8 scope) private returns (bool) {
        uint256 gasBefore = gasleft();
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = cordonHub().call(
            abi.encodeCall(ICordonHub.tripFromProtected, (1 << scope, Reasons.SECURITY_LIMIT_TRIP))
        );
        if (ok) return true;
        if (gasleft() < gasBefore / 63 || bytes4(reason) == ICordonHub.CordonPushGasTooLow.selector) {
            revert CordonTripOutOfGas(scope);
        }
        return false;
    }

    function _enqueue(address asset, address to, uint256 amount, bool tripped) private {
        CordonGuardedStorage storage $ = _cordonStorage();
        uint256 id;
        unchecked {
            id = ++$.queueCount; // 2^256 queued outflows cannot happen
        }
        LimitMeta storage meta = $.limitMeta[asset];
        uint40 releaseTime = uint40(block.timestamp) + meta.queueDelay;
        // A held outflow (the one that tripped) waits for governance's approval, which marks the asset then.
        if (!tripped) _markQueued(asset);
        $.queue[id] = QueuedOutflow({
            asset: asset,
            releaseTime: releaseTime,
            status: QueueStatus.Pending,
            recipient: to,
            // The outflow that tripped the breaker survives its own pause only with governance's approval.
            pauseEpoch: tripped ? _HELD : _pauseEpoch(),
            amount: amount
        });
        $.queuedOutstanding[asset] += amount;
        emit OutflowQueued(id, asset, to, amount, releaseTime, tripped);
        _onOutflowQueued(id, to, asset, amount);
    }

    function _pendingQueued(uint256 id) private view returns (QueuedOutflow storage q) {
        q = _cordonStorage().queue[id];
        if (q.status != QueueStatus.Pending) revert CordonQueuedNotPending(id, q.status);
    }
}
