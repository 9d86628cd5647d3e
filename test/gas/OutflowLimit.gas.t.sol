// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {OutflowLimitHarness, OZBucketHarness} from "../../contracts/mocks/OutflowLimitHarness.sol";
import {Test} from "../utils/Test.sol";

/**
 * @dev Named gas measurements of the limiter's hot path, committed under `snapshots/` and checked by `npm run gas`.
 * Each measurement is a whole external call on storage made cold with `vm.cool`, next to OpenZeppelin's bucket doing
 * the same work.
 */
contract OutflowLimitGas is Test {
    OutflowLimitHarness internal cordon;
    OZBucketHarness internal oz;

    function setUp() public {
        vm.warp(1_700_000_000);
        cordon = new OutflowLimitHarness();
        oz = new OZBucketHarness();
        cordon.configure(1_000_000e18, 1 days, 0, OutflowLimit.Policy.Revert, false);
        oz.configure(1 days, 1_000_000e18);
        // A bucket already in use: its state word is non-zero, as in production.
        cordon.consume(1e18, false);
        oz.tryConsume(1e18);
        vm.warp(block.timestamp + 1 hours);
    }

    function test_Gas_ConsumeCold() public {
        vm.cool(address(cordon));
        cordon.consume(10e18, false);
        vm.snapshotGasLastCall("OutflowLimit", "consume_cold");
        vm.cool(address(oz));
        oz.tryConsume(10e18);
        vm.snapshotGasLastCall("OutflowLimit", "oz_refilling_bucket_consume_cold");
    }

    function test_Gas_ConsumeWarm() public {
        cordon.consume(10e18, false);
        cordon.consume(10e18, false);
        vm.snapshotGasLastCall("OutflowLimit", "consume_warm");
    }
}
