// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20, ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";

import {CordonGuarded} from "../guarded/CordonGuarded.sol";
import {ICordonCheckpointed} from "../interfaces/ICordonCheckpointed.sol";

/**
 * @title CordonVault
 * @notice The sample protocol Cordon protects in its tests, demo and fire drills: an ERC-4626 vault that keeps its
 * own books (`totalAssets` is what it has accounted for, not its balance) and uses every Cordon feature:
 * - deposits are scope {SCOPE_DEPOSIT}; withdrawals go through the asset's outflow limit, bound to {SCOPE_WITHDRAW};
 * - {exitRedeem} is the withdraw-only exit path, open in Recovery and Shutdown;
 * - {stateDigest} and {checkInvariants} let the hub checkpoint it and gate recovery;
 * - a cancelled queued withdrawal returns its assets to the books (governance decides restitution).
 *
 * DELIBERATE FLAW, for tests and drills only: when the flaw switch (an address fixed at deployment; zero in any real
 * deployment) turns it on, withdrawals pay out but forget to settle: the shares are not burned and the assets stay on
 * the books. An attacker can then redeem the same shares again and again and drain the vault, and the invariant
 * `balance >= books + queued` breaks on the first such withdrawal, which lets anyone trip the breaker.
 */
contract CordonVault is ERC4626, CordonGuarded, ICordonCheckpointed {
    uint8 public constant SCOPE_DEPOSIT = 0;
    uint8 public constant SCOPE_WITHDRAW = 1;

    /// @notice Invariant code: the vault holds fewer assets than its books and the queued withdrawals need.
    uint256 public constant INVARIANT_ASSETS_MISSING = 1;

    /// @dev The only account that may turn the deliberate flaw on (zero: never).
    address public immutable flawSwitch;
    bool public flawed;

    uint256 private _bookedAssets;

    /// @dev Emitted when the deliberate flaw is switched.
    event FlawSwitched(bool on);
    /// @dev Emitted when a withdrawal is queued by the outflow limit instead of paid.
    event WithdrawalQueued(address indexed owner, address indexed receiver, uint256 assets, uint256 shares);

    /// @dev Only the flaw switch may turn the flaw on or off.
    error CordonVaultNotFlawSwitch(address caller);

    constructor(
        IERC20 asset_,
        string memory name_,
        string memory symbol_,
        address hub_,
        address flawSwitch_
    ) ERC20(name_, symbol_) ERC4626(asset_) CordonGuarded(hub_) {
        flawSwitch = flawSwitch_;
    }

    /// @notice Turns the deliberate flaw on or off (tests and drills only).
    function setFlawed(bool on) external {
        if (msg.sender != flawSwitch || flawSwitch == address(0)) revert CordonVaultNotFlawSwitch(msg.sender);
        flawed = on;
        emit FlawSwitched(on);
    }

    /**
     * @notice Redeems `shares` for their proportional assets through the withdraw-only exit path, open in Recovery
     * and Shutdown (and in Active unless withdrawals are paused); closed while the protocol is Paused.
     */
    function exitRedeem(uint256 shares, address receiver) external returns (uint256 assets) {
        assets = previewRedeem(shares);
        _burn(msg.sender, shares);
        _bookedAssets -= assets;
        if (!_checkExit(asset(), receiver, assets)) {
            emit WithdrawalQueued(msg.sender, receiver, assets, shares);
            return assets;
        }
        _transferOut(asset(), receiver, assets);
        emit Withdraw(msg.sender, receiver, msg.sender, assets, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev Checks the scope first so that a closed scope reverts with Cordon's error, not ERC-4626's max check.
    function deposit(uint256 assets, address receiver) public override returns (uint256) {
        _requireScopeOpen(SCOPE_DEPOSIT);
        return super.deposit(assets, receiver);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override returns (uint256) {
        _requireScopeOpen(SCOPE_DEPOSIT);
        return super.mint(shares, receiver);
    }

    /// @inheritdoc ERC4626
    function withdraw(uint256 assets, address receiver, address owner) public override returns (uint256) {
        _requireOutflowOpen(asset());
        return super.withdraw(assets, receiver, owner);
    }

    /// @inheritdoc ERC4626
    function redeem(uint256 shares, address receiver, address owner) public override returns (uint256) {
        _requireOutflowOpen(asset());
        return super.redeem(shares, receiver, owner);
    }

    /// @inheritdoc ERC4626
    function totalAssets() public view override returns (uint256) {
        return _bookedAssets;
    }

    /// @inheritdoc ERC4626
    function maxDeposit(address owner) public view override returns (uint256) {
        return isScopeOpen(SCOPE_DEPOSIT) ? super.maxDeposit(owner) : 0;
    }

    /// @inheritdoc ERC4626
    function maxMint(address owner) public view override returns (uint256) {
        return isScopeOpen(SCOPE_DEPOSIT) ? super.maxMint(owner) : 0;
    }

    /// @inheritdoc ERC4626
    function maxWithdraw(address owner) public view override returns (uint256) {
        return _isOutflowOpen(asset()) ? super.maxWithdraw(owner) : 0;
    }

    /// @inheritdoc ERC4626
    function maxRedeem(address owner) public view override returns (uint256) {
        return _isOutflowOpen(asset()) ? super.maxRedeem(owner) : 0;
    }

    /// @inheritdoc ICordonCheckpointed
    function stateDigest() external view returns (bytes32) {
        // The books only: a donation to the vault's balance must not change the digest governance attests.
        return keccak256(abi.encode(totalSupply(), _bookedAssets, queuedOutstanding(asset())));
    }

    /// @inheritdoc ICordonCheckpointed
    function checkInvariants() external view returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        if (balance < _bookedAssets + queuedOutstanding(asset())) return INVARIANT_ASSETS_MISSING;
        return 0;
    }

    function decimals() public view override(ERC4626) returns (uint8) {
        return super.decimals();
    }

    function _deposit(
        address caller,
        address receiver,
        uint256 assets,
        uint256 shares
    ) internal override whenScopeOpen(SCOPE_DEPOSIT) {
        super._deposit(caller, receiver, assets, shares);
        _bookedAssets += assets;
        _recordInflow(asset(), assets);
    }

    function _withdraw(
        address caller,
        address receiver,
        address owner,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (caller != owner) _spendAllowance(owner, caller, shares);
        if (!flawed) {
            // The deliberate flaw skips settling the withdrawal.
            _burn(owner, shares);
            _bookedAssets -= assets;
        }
        if (!_checkOutflow(asset(), receiver, assets)) {
            emit WithdrawalQueued(owner, receiver, assets, shares);
            return;
        }
        _transferOut(asset(), receiver, assets);
        emit Withdraw(caller, receiver, owner, assets, shares);
    }

    function _onQueuedOutflowCancelled(uint256, QueuedOutflow storage queued) internal override {
        _bookedAssets += queued.amount;
    }
}
