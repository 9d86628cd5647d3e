// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IERC7265CircuitBreaker} from "../interfaces/IERC7265CircuitBreaker.sol";

/**
 * @dev A tiny protocol written against ERC-7265, for the adapter's tests: it holds users' tokens and ETH, reports
 * deposits as inflows, and settles withdrawals the ERC-7265 way (transfer the amount to the breaker, then report the
 * outflow and let the breaker pay or lock it).
 */
contract ERC7265Protocol {
    using SafeERC20 for IERC20;

    IERC7265CircuitBreaker public immutable breaker;
    mapping(address user => mapping(address asset => uint256)) public balanceOf;

    /// @dev The native asset, as ERC-7265 names it.
    address public constant NATIVE_ASSET = address(1);

    constructor(IERC7265CircuitBreaker breaker_) {
        breaker = breaker_;
    }

    function deposit(IERC20 token, uint256 amount) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        balanceOf[msg.sender][address(token)] += amount;
        breaker.onTokenInflow(address(token), amount);
    }

    function depositNative() external payable {
        balanceOf[msg.sender][NATIVE_ASSET] += msg.value;
        breaker.onNativeAssetInflow(msg.value);
    }

    function withdraw(IERC20 token, uint256 amount, address to, bool revertOnRateLimit) external {
        balanceOf[msg.sender][address(token)] -= amount;
        token.safeTransfer(address(breaker), amount);
        breaker.onTokenOutflow(address(token), amount, to, revertOnRateLimit);
    }

    function withdrawNative(uint256 amount, address to, bool revertOnRateLimit) external {
        balanceOf[msg.sender][NATIVE_ASSET] -= amount;
        breaker.onNativeAssetOutflow{value: amount}(to, revertOnRateLimit);
    }

    /// @dev Takes back the native asset of outflows the breaker's governance cancelled.
    receive() external payable {}
}
