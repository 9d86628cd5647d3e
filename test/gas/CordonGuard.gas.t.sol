// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {BenchVaultCordon, BenchVaultOZ, BenchVaultUnguarded} from "../../contracts/mocks/BenchVaults.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {Test} from "../utils/Test.sol";

/**
 * @dev Named gas measurements of the guarded withdraw next to the same withdraw unguarded and guarded by OpenZeppelin,
 * and of a guardian pause; committed under `snapshots/` and checked by `npm run gas` so any drift fails CI.
 *
 * These run inside one test transaction, where the slots set up in `setUp` are already warm, so they mark drift
 * rather than the cold-storage cost. The cold figures (`cordon_hot_path`, `oz_baseline`, pause costs) come from
 * real transactions in `scripts/bench/gas.ts`, whose committed snapshot `bench/gas-snapshot.json` is checked too.
 */
contract CordonGuardGas is Test {
    MockERC20 internal token;
    CordonHub internal hub;
    BenchVaultUnguarded internal unguarded;
    BenchVaultCordon internal cordon;
    BenchVaultOZ internal oz;
    address internal guardian = address(0x6a);

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new MockERC20("Bench", "BNC", 18);
        address[] memory guardians = new address[](1);
        guardians[0] = guardian;
        hub = new CordonHub(address(this), guardians, 3 days, 1 days);
        unguarded = new BenchVaultUnguarded(token);
        cordon = new BenchVaultCordon(token, address(hub));
        oz = new BenchVaultOZ(token, 1 days, 1_000_000e18);
        hub.addProtected(address(cordon));
        hub.setLimit(
            address(cordon),
            address(token),
            ICordonGuarded.LimitParams({
                scope: 1,
                capacity: 1_000_000e18,
                window: 1 days,
                largeThreshold: 0,
                policy: OutflowLimit.Policy.Revert,
                inflowRefills: false,
                queueDelay: 0
            })
        );
        token.mint(address(this), 10_000_000e18);
        token.approve(address(unguarded), type(uint256).max);
        token.approve(address(cordon), type(uint256).max);
        token.approve(address(oz), type(uint256).max);
        unguarded.deposit(1_000_000e18);
        cordon.deposit(1_000_000e18);
        oz.deposit(1_000_000e18);
        unguarded.withdraw(1e18);
        cordon.withdraw(1e18);
        oz.withdraw(1e18);
        vm.warp(block.timestamp + 1 hours);
    }

    function _coolAll() private {
        vm.cool(address(token));
        vm.cool(address(unguarded));
        vm.cool(address(cordon));
        vm.cool(address(oz));
    }

    function test_Gas_GuardedWithdraw() public {
        _coolAll();
        unguarded.withdraw(10e18);
        uint256 base = vm.snapshotGasLastCall("CordonGuard", "withdraw_unguarded");
        _coolAll();
        cordon.withdraw(10e18);
        uint256 guarded = vm.snapshotGasLastCall("CordonGuard", "withdraw_cordon");
        _coolAll();
        oz.withdraw(10e18);
        uint256 ozGuarded = vm.snapshotGasLastCall("CordonGuard", "withdraw_oz_pausable_ratelimiter");
        vm.snapshotValue("CordonGuard", "cordon_added_warm", guarded - base);
        vm.snapshotValue("CordonGuard", "oz_added_warm", ozGuarded - base);
        assertTrue(guarded - base < ozGuarded - base, "Cordon's guard costs less than OpenZeppelin's");
    }

    function test_Gas_GuardianPauseOneContract() public {
        vm.cool(address(hub));
        vm.cool(address(cordon));
        vm.prank(guardian);
        hub.pause(0x0101);
        vm.snapshotGasLastCall("CordonGuard", "hub_pause_1_contract");
    }
}
