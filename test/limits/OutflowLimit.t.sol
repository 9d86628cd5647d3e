// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {OutflowLimitHarness, OZBucketHarness} from "../../contracts/mocks/OutflowLimitHarness.sol";
import {Test} from "../utils/Test.sol";

contract OutflowLimit_consume is Test {
    OutflowLimitHarness internal limit;

    function setUp() public {
        vm.warp(1_700_000_000);
        limit = new OutflowLimitHarness();
        limit.configure(1_000e18, 1 days, 0, OutflowLimit.Policy.Revert, false);
    }

    function test_ConsumesWithinCapacity() public {
        assertEq(uint256(limit.consume(400e18, false)), uint256(OutflowLimit.Status.Ok), "status");
        (uint256 used, uint256 available) = limit.state();
        assertEq(used, 400e18, "used");
        assertEq(available, 600e18, "available");
    }

    function test_RefillsLinearly() public {
        limit.consume(1_000e18, false);
        vm.warp(block.timestamp + 6 hours);
        (uint256 used, uint256 available) = limit.state();
        assertEq(used, 750e18, "used after a quarter window");
        assertEq(available, 250e18, "available after a quarter window");
        vm.warp(block.timestamp + 1 days);
        (used, available) = limit.state();
        assertEq(used, 0, "used after a full window");
        assertEq(available, 1_000e18, "full again");
    }

    function test_ZeroAmountDoesNotWrite() public {
        limit.consume(100e18, false);
        vm.warp(block.timestamp + 1 hours);
        vm.record();
        limit.consume(0, false);
        (, bytes32[] memory writes) = vm.accesses(address(limit));
        assertEq(writes.length, 0, "no write for a zero amount");
    }

    function test_WaitForIsExact() public {
        limit.consume(1_000e18, false);
        uint256 wait = limit.waitFor(100e18);
        assertEq(wait, 8640, "a tenth of a day");
        vm.warp(block.timestamp + wait - 1);
        assertEq(uint256(limit.consume(100e18, false)), uint256(OutflowLimit.Status.OverLimit), "one second early");
        vm.warp(block.timestamp + 1);
        assertEq(uint256(limit.consume(100e18, false)), uint256(OutflowLimit.Status.Ok), "on time");
        assertEq(limit.waitFor(1_000e18 + 1), type(uint256).max, "above capacity never fits");
    }

    function test_LargeTransfersBreachEvenWithRoom() public {
        limit.configure(1_000e18, 1 days, 100e18, OutflowLimit.Policy.Queue, false);
        (, , uint256 threshold, OutflowLimit.Policy policy, ) = limit.settings();
        assertLe(threshold, 100e18, "effective threshold never above the one asked for");
        assertGe(threshold, 100e18 - 1_000e18 / 2048, "effective threshold within one step");
        assertEq(uint256(policy), uint256(OutflowLimit.Policy.Queue), "policy");
        assertEq(uint256(limit.consume(threshold + 1, false)), uint256(OutflowLimit.Status.Large), "large");
        assertEq(uint256(limit.consume(threshold, false)), uint256(OutflowLimit.Status.Ok), "at threshold");
    }

    function test_ClosedPathsAreSeparate() public {
        limit.setClosed(true, false);
        assertEq(uint256(limit.consume(1, false)), uint256(OutflowLimit.Status.Closed), "outflow closed");
        assertEq(uint256(limit.consume(1, true)), uint256(OutflowLimit.Status.Ok), "exit open");
        limit.setClosed(true, true);
        assertEq(uint256(limit.consume(1, true)), uint256(OutflowLimit.Status.Closed), "exit closed");
        limit.setClosed(false, false);
        assertEq(uint256(limit.consume(1, false)), uint256(OutflowLimit.Status.Ok), "reopened");
    }

    function test_InflowRefillsOnlyWhenConfigured() public {
        limit.consume(500e18, false);
        assertFalse(limit.refill(200e18), "not configured to refill");
        limit.configure(1_000e18, 1 days, 0, OutflowLimit.Policy.Revert, true);
        assertTrue(limit.refill(200e18), "refills");
        (uint256 used, ) = limit.state();
        assertEq(used, 300e18, "used after refill");
        limit.refill(1_000e18);
        (used, ) = limit.state();
        assertEq(used, 0, "never below zero");
    }

    function test_ReconfigureKeepsSpentCapacity() public {
        limit.consume(800e18, false);
        limit.configure(500e18, 1 days, 0, OutflowLimit.Policy.Trip, false);
        (uint256 used, uint256 available) = limit.state();
        assertEq(used, 500e18, "used capped at the new capacity");
        assertEq(available, 0, "nothing handed out");
        limit.setClosed(true, true);
        limit.configure(500e18, 2 days, 0, OutflowLimit.Policy.Trip, false);
        assertTrue(limit.isClosed(false) && limit.isClosed(true), "flags kept across configure");
    }

    function test_ForceConsumeSaturates() public {
        limit.consume(900e18, false);
        limit.forceConsume(500e18);
        (uint256 used, ) = limit.state();
        assertEq(used, 1_000e18, "saturated at capacity");
        limit.reset();
        (used, ) = limit.state();
        assertEq(used, 0, "reset empties the bucket");
    }

    function test_RevertWhen_CapacityZeroOrTooLarge() public {
        vm.expectRevert(
            abi.encodeWithSelector(OutflowLimit.OutflowLimitInvalidCapacity.selector, 0, OutflowLimit.MAX_AMOUNT)
        );
        limit.configure(0, 1 days, 0, OutflowLimit.Policy.Revert, false);
        uint256 tooLarge = OutflowLimit.MAX_AMOUNT + 1;
        vm.expectRevert(
            abi.encodeWithSelector(OutflowLimit.OutflowLimitInvalidCapacity.selector, tooLarge, OutflowLimit.MAX_AMOUNT)
        );
        limit.configure(tooLarge, 1 days, 0, OutflowLimit.Policy.Revert, false);
    }

    function test_RevertWhen_WindowInvalid() public {
        vm.expectRevert(
            abi.encodeWithSelector(OutflowLimit.OutflowLimitInvalidWindow.selector, 0, OutflowLimit.MAX_WINDOW)
        );
        limit.configure(1, 0, 0, OutflowLimit.Policy.Revert, false);
    }

    function test_RevertWhen_LargeThresholdAboveCapacity() public {
        vm.expectRevert(abi.encodeWithSelector(OutflowLimit.OutflowLimitInvalidLargeThreshold.selector, 11, 2, 10));
        limit.configure(10, 1 days, 11, OutflowLimit.Policy.Revert, false);
        // 1/2048 of the capacity is the finest step: a smaller threshold cannot be honoured and is refused.
        vm.expectRevert(abi.encodeWithSelector(OutflowLimit.OutflowLimitInvalidLargeThreshold.selector, 1, 2, 4096));
        limit.configure(4096, 1 days, 1, OutflowLimit.Policy.Revert, false);
    }

    function test_UnconfiguredLimitSaysSo() public {
        OutflowLimitHarness fresh = new OutflowLimitHarness();
        assertEq(uint256(fresh.consume(1, false)), uint256(OutflowLimit.Status.NotConfigured), "not configured");
        assertEq(fresh.waitFor(1), type(uint256).max, "never");
        (uint256 used, uint256 available) = fresh.state();
        assertEq(used + available, 0, "an unconfigured limit holds nothing");
        fresh.forceConsume(1);
        (used, ) = fresh.state();
        assertEq(used, 0, "force-consuming an unconfigured limit changes nothing");
    }

    function test_WaitForIsZeroWhenItFits() public view {
        assertEq(limit.waitFor(1_000e18), 0, "a full bucket fits its capacity now");
    }
}

/// @dev Differential fuzzing against OpenZeppelin's `RateLimiter.RefillingBucket`.
contract OutflowLimit_differential is Test {
    /// @dev Any sequence of waits and consumptions gets the same answers and leaves the same state in both limiters.
    function testFuzz_AgreesWithOpenZeppelin(uint256 capacity, uint256 window, uint256[12] memory steps) public {
        capacity = bound(capacity, 1, OutflowLimit.MAX_AMOUNT);
        window = bound(window, 1, OutflowLimit.MAX_WINDOW);
        vm.warp(1_700_000_000);

        OutflowLimitHarness cordon = new OutflowLimitHarness();
        OZBucketHarness oz = new OZBucketHarness();
        cordon.configure(capacity, window, 0, OutflowLimit.Policy.Revert, false);
        oz.configure(uint48(window), uint208(capacity));

        for (uint256 i = 0; i < steps.length; ++i) {
            // Low bits pick the wait (up to two windows), high bits the amount (up to 1.5x capacity).
            uint256 wait = (steps[i] & 0xffffffff) % (2 * window + 1);
            uint256 amount = (steps[i] >> 128) % (capacity + capacity / 2 + 1);
            vm.warp(block.timestamp + wait);

            bool ozOk = oz.tryConsume(amount);
            OutflowLimit.Status status = cordon.consume(amount, false);
            assertEq(uint256(status == OutflowLimit.Status.Ok ? 1 : 0), ozOk ? 1 : 0, "same decision");

            (uint256 ozUsed, uint256 ozAvailable) = oz.state();
            (uint256 used, uint256 available) = cordon.state();
            assertEq(used, ozUsed, "same used");
            assertEq(available, ozAvailable, "same available");

            if (!ozOk) {
                // The wait we report is exactly when OpenZeppelin's bucket accepts the amount.
                uint256 waitFor = cordon.waitFor(amount);
                if (amount <= capacity) {
                    vm.warp(block.timestamp + waitFor - 1);
                    (, ozAvailable) = oz.state();
                    assertTrue(ozAvailable < amount, "not available a second before the reported wait");
                    vm.warp(block.timestamp + 1);
                    (, ozAvailable) = oz.state();
                    assertGe(ozAvailable, amount, "available at the reported wait");
                } else {
                    assertEq(waitFor, type(uint256).max, "never fits");
                }
            }
        }
    }

    /// @dev The large-transfer threshold never lets through more than asked and is exact to 1/2048 of capacity.
    function testFuzz_LargeThresholdIsConservative(uint256 capacity, uint256 threshold, uint256 amount) public {
        capacity = bound(capacity, 1, OutflowLimit.MAX_AMOUNT);
        // The smallest threshold whose stored fraction is worth at least 1 (below a capacity of 2048 it is above 1).
        uint256 min = (capacity + 2047) / 2048;
        if (capacity < 2048) min = ((((2048 + capacity - 1) / capacity) * capacity) + 2047) / 2048;
        threshold = bound(threshold, min, capacity);
        amount = bound(amount, 0, capacity);
        OutflowLimitHarness cordon = new OutflowLimitHarness();
        cordon.configure(capacity, 1 days, threshold, OutflowLimit.Policy.Queue, false);
        OutflowLimit.Status status = cordon.consume(amount, false);
        if (amount > threshold && threshold < capacity) {
            assertEq(uint256(status), uint256(OutflowLimit.Status.Large), "above the asked threshold is large");
        }
        (, , uint256 effective, , ) = cordon.settings();
        if (threshold < capacity) assertLe(effective, threshold, "effective <= asked");
        if (threshold < capacity) assertGe(effective, 1, "never an effective 0 that reads as off");
    }
}

/// @dev Drives one limit with random waits and outflows and remembers every outflow that went through.
contract OutflowLimitHandler is Test {
    OutflowLimitHarness public immutable limit;
    uint256 public immutable capacity;
    uint256 public immutable window;

    uint256[] public times;
    uint256[] public amounts;

    constructor(uint256 capacity_, uint256 window_) {
        capacity = capacity_;
        window = window_;
        limit = new OutflowLimitHarness();
        limit.configure(capacity_, window_, 0, OutflowLimit.Policy.Revert, false);
    }

    function outflow(uint256 amount, uint256 wait) external {
        vm.warp(block.timestamp + bound(wait, 0, window));
        amount = bound(amount, 1, capacity);
        if (limit.consume(amount, false) == OutflowLimit.Status.Ok) {
            times.push(block.timestamp);
            amounts.push(amount);
        }
    }

    function history() external view returns (uint256[] memory, uint256[] memory) {
        return (times, amounts);
    }
}

/// @dev Over any interval [t0, t1], the outflows let through never exceed
/// capacity + floor((t1 - t0) * capacity / window).
contract OutflowLimit_invariants is Test {
    OutflowLimitHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new OutflowLimitHandler(1_000e18, 1 hours);
        targetContract(address(handler));
    }

    function invariant_WindowOutflowWithinCapacityPlusRefill() public view {
        (uint256[] memory times, uint256[] memory amounts) = handler.history();
        uint256 capacity = handler.capacity();
        uint256 window = handler.window();
        for (uint256 i = 0; i < times.length; ++i) {
            uint256 total = 0;
            for (uint256 j = i; j < times.length; ++j) {
                total += amounts[j];
                uint256 elapsed = times[j] - times[i];
                assertLe(total, capacity + (elapsed * capacity) / window, "outflow over the window");
            }
        }
    }
}
