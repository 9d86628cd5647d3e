// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {CordonGuarded} from "../guarded/CordonGuarded.sol";
import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";
import {ICordonHub} from "../interfaces/ICordonHub.sol";
import {IERC7265CircuitBreaker} from "../interfaces/IERC7265CircuitBreaker.sol";
import {HubState} from "../libraries/CordonTypes.sol";

/**
 * @title CordonERC7265Adapter
 * @notice Lets protocols written against ERC-7265 use Cordon's limits: they transfer an outflow to this adapter and
 * call {onTokenOutflow}; the adapter books it against the asset's Cordon outflow limit (as an outflow: the ERC-7265
 * library's 4-argument overload books outflows as inflows, this adapter does not) and pays the recipient, queues it
 * (locked funds, claimable after the limit's queue delay), trips the breaker, or reverts, as the limit's policy and
 * the caller's `revertOnRateLimit` say. Limits, pauses and cancellations come from the {CordonHub} like any
 * protected contract's; governance of the hub registers the protocols allowed to call. A cancelled locked outflow
 * goes back to the protocol contract that reported it; if that transfer fails, the protocol is owed it and pulls it
 * with {claimRefund}, so a refusing protocol cannot make a cancel impossible.
 *
 * An outflow must be funded: the protocol transfers the amount to the adapter before reporting it (or sends it as the
 * native value), so the adapter never pays one protocol's outflow out of funds locked for another.
 *
 * The hub checkpoints it like any protected contract: its books are the funds it holds for locked outflows, and its
 * invariant is that it holds them.
 */
contract CordonERC7265Adapter is CordonGuarded, IERC7265CircuitBreaker, ICordonCheckpointed {
    /// @dev ERC-7265's marker for the native asset.
    address public constant NATIVE_ASSET = address(1);

    /// @notice Invariant code: the adapter holds less of an asset than its locked outflows need.
    uint256 public constant INVARIANT_LOCKED_FUNDS_MISSING = 1;

    bytes32 private constant _GOVERNANCE_ROLE = keccak256("CORDON_GOVERNANCE_ROLE");

    mapping(address account => bool) private _protectedCallers;
    mapping(address recipient => uint256[] ids) private _lockedIds;
    mapping(address recipient => mapping(address asset => uint256)) private _locked;
    mapping(uint256 id => address protocol) private _lockedBy;
    mapping(address protocol => mapping(address asset => uint256)) private _refundOwed;
    mapping(address asset => uint256) private _refundsOutstanding;

    /// @notice Emitted when hub governance allows or disallows a protocol contract to report flows.
    event ProtectedCallerSet(address indexed account, bool allowed);
    /// @notice Emitted when the refund of a cancelled outflow could not be sent: `protocol` may claim it.
    event RefundOwed(address indexed protocol, address indexed asset, uint256 amount);
    /// @notice Emitted when a protocol claims what it is owed.
    event RefundClaimed(address indexed protocol, address indexed asset, uint256 amount);

    /// @dev `caller` is not a protocol contract registered with this adapter.
    error CordonAdapterNotProtected(address caller);
    /// @dev `caller` lacks the hub's governance role.
    error CordonAdapterNotGovernance(address caller);
    /// @dev The outflow of `amount` of `asset` was not funded: the adapter holds `balance`, it needs `needed`.
    error CordonAdapterUnfunded(address asset, uint256 needed, uint256 balance);
    /// @dev The refund owed to the caller could not be sent.
    error CordonAdapterRefundFailed(address protocol, address asset, uint256 amount);

    constructor(address hub_) CordonGuarded(hub_) {}

    modifier onlyProtectedCaller() {
        if (!_protectedCallers[msg.sender]) revert CordonAdapterNotProtected(msg.sender);
        _;
    }

    /// @notice Allows or disallows `account` to report flows. Requirements: the caller has the hub's governance role.
    function setProtectedCaller(address account, bool allowed) external {
        if (!IAccessControl(cordonHub()).hasRole(_GOVERNANCE_ROLE, msg.sender)) {
            revert CordonAdapterNotGovernance(msg.sender);
        }
        _protectedCallers[account] = allowed;
        emit ProtectedCallerSet(account, allowed);
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function onTokenInflow(address token, uint256 amount) external onlyProtectedCaller {
        _recordInflow(token, amount);
        emit AssetInflow(token, amount);
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function onTokenOutflow(
        address token,
        uint256 amount,
        address recipient,
        bool revertOnRateLimit
    ) external onlyProtectedCaller {
        _settle(token, amount, recipient, revertOnRateLimit);
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function onNativeAssetInflow(uint256 amount) external onlyProtectedCaller {
        _recordInflow(NATIVE_ASSET, amount);
        emit AssetInflow(NATIVE_ASSET, amount);
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function onNativeAssetOutflow(address recipient, bool revertOnRateLimit) external payable onlyProtectedCaller {
        _settle(NATIVE_ASSET, msg.value, recipient, revertOnRateLimit);
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function claimLockedFunds(address asset, address recipient) external {
        uint256[] storage ids = _lockedIds[recipient];
        uint256 i = 0;
        while (i < ids.length) {
            uint256 id = ids[i];
            QueuedOutflow memory q = queuedOutflow(id);
            bool settled = q.status != QueueStatus.Pending;
            if (!settled && q.asset == asset && block.timestamp >= q.releaseTime) {
                // A claim may still be refused (voided by a later pause, or the exit path closed): keep it then.
                try this.claimQueued(id) {
                    settled = true;
                } catch {}
            }
            if (settled) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
            } else {
                ++i;
            }
        }
        emit LockedFundsClaimed(asset, recipient);
    }

    /// @notice Sends the caller the refunds of cancelled outflows it is owed in `asset`.
    function claimRefund(address asset) external {
        uint256 amount = _refundOwed[msg.sender][asset];
        _refundOwed[msg.sender][asset] = 0;
        _refundsOutstanding[asset] -= amount;
        emit RefundClaimed(msg.sender, asset, amount);
        if (!_trySend(asset, msg.sender, amount)) revert CordonAdapterRefundFailed(msg.sender, asset, amount);
    }

    /// @notice What `protocol` is owed in `asset` from refunds it refused.
    function refundOwed(address protocol, address asset) external view returns (uint256) {
        return _refundOwed[protocol][asset];
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function lockedFunds(address recipient, address asset) external view returns (uint256) {
        return _locked[recipient][asset];
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function isProtectedContract(address account) external view returns (bool) {
        return _protectedCallers[account];
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function isRateLimitTriggered(address asset) external view returns (bool) {
        (LimitParams memory params, , uint256 available) = outflowLimit(asset);
        return !isScopeOpen(params.scope) || available == 0;
    }

    /// @inheritdoc IERC7265CircuitBreaker
    /// @dev Asks the hub: a guardian pause that expired has ended even if no push has told this contract yet.
    function isRateLimited() external view returns (bool) {
        return ICordonHub(cordonHub()).state() != HubState.Active;
    }

    /// @inheritdoc IERC7265CircuitBreaker
    function isOperational() external view returns (bool) {
        (HubState state, , ) = cordonState();
        return state != HubState.Shutdown;
    }

    /// @inheritdoc ICordonCheckpointed
    /// @dev The books: what the adapter holds for pending locked outflows, per limited asset.
    function stateDigest() external view returns (bytes32) {
        address[] memory assets = limitedAssets();
        uint256[] memory held = new uint256[](assets.length);
        for (uint256 i = 0; i < assets.length; ++i) {
            held[i] = queuedOutstanding(assets[i]);
        }
        return keccak256(abi.encode(assets, held));
    }

    /// @inheritdoc ICordonCheckpointed
    /// @dev An asset whose `balanceOf` reverts is skipped: it is no evidence against the adapter, and a check that
    /// reverted would let anyone trip the breaker with nobody able to recover.
    function checkInvariants() external view returns (uint256) {
        address[] memory assets = limitedAssets();
        for (uint256 i = 0; i < assets.length; ++i) {
            address asset = assets[i];
            (bool ok, uint256 balance) = _balance(asset);
            if (ok && balance < queuedOutstanding(asset) + _refundsOutstanding[asset]) {
                return INVARIANT_LOCKED_FUNDS_MISSING;
            }
        }
        return 0;
    }

    /// @dev Accepts the native asset for outflows in transit.
    receive() external payable {}

    function _settle(address asset, uint256 amount, address recipient, bool revertOnRateLimit) private {
        if (revertOnRateLimit) {
            (LimitParams memory params, , uint256 available) = outflowLimit(asset);
            bool large = params.largeThreshold != 0 && amount > params.largeThreshold;
            if (amount > available || large) {
                uint256 wait = large ? type(uint256).max : outflowWait(asset, amount);
                revert CordonOutflowLimited(asset, amount, available, wait);
            }
        }
        // The protocol must have sent the amount first: what the adapter held for locked outflows and refunds stays.
        (, uint256 balance) = _balance(asset);
        uint256 needed = queuedOutstanding(asset) + _refundsOutstanding[asset] + amount;
        if (balance < needed) revert CordonAdapterUnfunded(asset, needed, balance);
        _sendOutflow(asset, recipient, amount);
        emit AssetWithdraw(asset, recipient, amount);
    }

    /// @dev The adapter's balance of `asset`; `ok` is false if `balanceOf` reverts or answers with less than a word.
    function _balance(address asset) private view returns (bool ok, uint256 held) {
        if (asset == NATIVE_ASSET) return (true, address(this).balance);
        bytes memory data = abi.encodeCall(IERC20.balanceOf, (address(this)));
        assembly ("memory-safe") {
            ok := staticcall(gas(), asset, add(data, 0x20), mload(data), 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            held := mload(0x00)
        }
    }

    /// @dev Sends `amount` of `asset` to `to`; returns false instead of reverting if the transfer fails.
    function _trySend(address asset, address to, uint256 amount) private returns (bool) {
        if (asset != NATIVE_ASSET) return SafeERC20.trySafeTransfer(IERC20(asset), to, amount);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = payable(to).call{value: amount}("");
        return ok;
    }

    function _onOutflowQueued(uint256 id, address recipient, address asset, uint256 amount) internal override {
        _lockedIds[recipient].push(id);
        _locked[recipient][asset] += amount;
        _lockedBy[id] = msg.sender; // the protocol reporting the outflow (onlyProtectedCaller)
    }

    function _onQueuedOutflowClaimed(uint256, QueuedOutflow storage queued) internal override {
        _locked[queued.recipient][queued.asset] -= queued.amount;
    }

    /// @dev The funds go back to the protocol that reported the outflow: the adapter keeps no funds of its own. If
    /// the protocol refuses them, it is owed them ({claimRefund}): the cancel itself never fails on the refund.
    function _onQueuedOutflowCancelled(uint256 id, QueuedOutflow storage queued) internal override {
        address asset = queued.asset;
        uint256 amount = queued.amount;
        _locked[queued.recipient][asset] -= amount;
        address protocol = _lockedBy[id];
        if (!_trySend(asset, protocol, amount)) {
            _refundOwed[protocol][asset] += amount;
            _refundsOutstanding[asset] += amount;
            emit RefundOwed(protocol, asset, amount);
        }
    }

    function _transferOut(address asset, address to, uint256 amount) internal override {
        if (asset == NATIVE_ASSET) {
            Address.sendValue(payable(to), amount);
        } else {
            super._transferOut(asset, to, amount);
        }
    }
}
