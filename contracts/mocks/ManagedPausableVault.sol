// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/**
 * @dev A protocol as teams deploy them without Cordon: OpenZeppelin's `Pausable`, its `pause()` and `unpause()`
 * restricted by an `AccessManager`, and a flaw: `withdraw` pays anyone (the drain the keeper's tests cause). Nothing
 * of Cordon is inherited; the keeper pauses it through a role the manager grants its key.
 */
contract ManagedPausableVault is AccessManaged, Pausable {
    using SafeERC20 for IERC20;

    IERC20 private immutable _asset;

    constructor(IERC20 asset_, address manager) AccessManaged(manager) {
        _asset = asset_;
    }

    /// @dev The token the vault holds.
    function asset() external view returns (IERC20) {
        return _asset;
    }

    /**
     * @dev Pays `amount` of the asset to `to`. The flaw: no check of who asks.
     *
     * Requirements:
     * - the vault is not paused.
     */
    function withdraw(address to, uint256 amount) external whenNotPaused {
        _asset.safeTransfer(to, amount);
    }

    /**
     * @dev Pauses withdrawals.
     *
     * Requirements:
     * - the caller holds the role the manager sets for this function; the vault is not paused.
     *
     * Emits a {Paused} event.
     */
    function pause() external restricted {
        _pause();
    }

    /**
     * @dev Resumes withdrawals.
     *
     * Requirements:
     * - the caller holds the role the manager sets for this function; the vault is paused.
     *
     * Emits an {Unpaused} event.
     */
    function unpause() external restricted {
        _unpause();
    }
}

/// @dev OpenZeppelin's `AccessManager` as it is, compiled for the tests; `admin` holds its admin role.
contract ProtocolAccessManager is AccessManager {
    constructor(address admin) AccessManager(admin) {}
}
