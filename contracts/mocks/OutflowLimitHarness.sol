// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";

import {OutflowLimit} from "../limits/OutflowLimit.sol";

/// @dev Exposes {OutflowLimit} on one limit, for tests and gas measurements.
contract OutflowLimitHarness {
    using OutflowLimit for OutflowLimit.Limit;

    OutflowLimit.Limit private _limit;

    function configure(
        uint256 capacity,
        uint256 window,
        uint256 largeThreshold,
        OutflowLimit.Policy policy,
        bool inflowRefills
    ) external {
        _limit.configure(capacity, window, largeThreshold, policy, inflowRefills);
    }

    function consume(uint256 amount, bool exitPath) external returns (OutflowLimit.Status) {
        return _limit.consume(amount, exitPath);
    }

    function forceConsume(uint256 amount) external {
        _limit.forceConsume(amount);
    }

    function refill(uint256 amount) external returns (bool) {
        return _limit.refill(amount);
    }

    function setClosed(bool outflowClosed, bool exitClosed) external {
        _limit.setClosed(outflowClosed, exitClosed);
    }

    function reset() external {
        _limit.reset();
    }

    function state() external view returns (uint256 used, uint256 available) {
        return _limit.state();
    }

    function waitFor(uint256 amount) external view returns (uint256) {
        return _limit.waitFor(amount);
    }

    function settings()
        external
        view
        returns (
            uint256 capacity,
            uint256 window,
            uint256 largeThreshold,
            OutflowLimit.Policy policy,
            bool inflowRefills
        )
    {
        return (_limit.capacity(), _limit.window(), _limit.largeThreshold(), _limit.policy(), _limit.inflowRefills());
    }

    function isClosed(bool exitPath) external view returns (bool) {
        return _limit.isClosed(exitPath);
    }
}

/// @dev Exposes OpenZeppelin's refilling bucket on one key: the reference the differential fuzz tests compare against.
contract OZBucketHarness {
    using RateLimiter for RateLimiter.RefillingBucket;

    RateLimiter.RefillingBucket private _bucket;

    function configure(uint48 window, uint208 capacity) external {
        _bucket.updateSettings(window, capacity);
    }

    function tryConsume(uint256 amount) external returns (bool) {
        return _bucket.tryConsume(bytes32(0), amount);
    }

    function state() external view returns (uint256 used, uint256 available) {
        return _bucket.state(bytes32(0));
    }
}
