// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";

import {CordonGuarded} from "../guarded/CordonGuarded.sol";

/**
 * @dev Three copies of the same minimal vault for `npm run bench:gas`: unguarded, guarded by Cordon, and guarded by
 * OpenZeppelin `Pausable` plus `RateLimiter`'s refilling bucket. Their withdraws differ only in the guard, so the
 * difference in gas is the guard's cost.
 */
abstract contract BenchVaultBase {
    IERC20 public immutable token;
    mapping(address account => uint256) public balanceOf;

    constructor(IERC20 token_) {
        token = token_;
    }

    function deposit(uint256 amount) external {
        token.transferFrom(msg.sender, address(this), amount);
        balanceOf[msg.sender] += amount;
    }
}

contract BenchVaultUnguarded is BenchVaultBase {
    constructor(IERC20 token_) BenchVaultBase(token_) {}

    function withdraw(uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        token.transfer(msg.sender, amount);
    }
}

contract BenchVaultCordon is BenchVaultBase, CordonGuarded {
    constructor(IERC20 token_, address hub_) BenchVaultBase(token_) CordonGuarded(hub_) {}

    function withdraw(uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        if (_checkOutflow(address(token), msg.sender, amount)) token.transfer(msg.sender, amount);
    }
}

contract BenchVaultOZ is BenchVaultBase, Pausable {
    using RateLimiter for RateLimiter.RefillingBucket;

    RateLimiter.RefillingBucket private _bucket;

    constructor(IERC20 token_, uint48 window, uint208 capacity) BenchVaultBase(token_) {
        _bucket.updateSettings(window, capacity);
    }

    function withdraw(uint256 amount) external whenNotPaused {
        _bucket.consume(bytes32(uint256(uint160(address(token)))), amount);
        balanceOf[msg.sender] -= amount;
        token.transfer(msg.sender, amount);
    }
}

/// @dev An OpenZeppelin `Pausable` contract paused by its owner, for the pause benchmark's comparison.
contract BenchPausable is Pausable {
    address public immutable owner;

    error BenchPausableUnauthorized(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    function pause() external {
        require(msg.sender == owner, BenchPausableUnauthorized(msg.sender));
        _pause();
    }

    function unpause() external {
        require(msg.sender == owner, BenchPausableUnauthorized(msg.sender));
        _unpause();
    }
}

/// @dev Pauses many {BenchPausable} contracts in one transaction (the OpenZeppelin way to pause a protocol).
contract BenchPauseMulticall {
    function pauseAll(BenchPausable[] calldata targets) external {
        for (uint256 i = 0; i < targets.length; ++i) targets[i].pause();
    }

    function unpauseAll(BenchPausable[] calldata targets) external {
        for (uint256 i = 0; i < targets.length; ++i) targets[i].unpause();
    }
}
