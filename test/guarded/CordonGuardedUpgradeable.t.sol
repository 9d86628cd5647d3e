// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {HubState, Reasons} from "../../contracts/libraries/CordonTypes.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {UpgradeableGuardedMockV1, UpgradeableGuardedMockV2} from "../../contracts/mocks/UpgradeableGuardedMock.sol";
import {Test} from "../utils/Test.sol";

/// @dev {CordonGuardedUpgradeable} behind an ERC-1967 UUPS proxy, through an upgrade.
contract CordonGuardedUpgradeable_proxy is Test {
    bytes32 internal constant CORDON_SLOT = 0xeb896d33053a006b3075681b6c342f6a4b63ec075d2837df3ab839e4f9a0e700;
    bytes32 internal constant HUB_SLOT = 0xe74d8b87841c2c87263529ad7ee39a5aaa29839dbeeea399f54058f7b8e8a100;
    /// @dev Cordon words checked across the upgrade: the guard words, incident/epoch, the queue count.
    uint256 internal constant WORDS = 10;

    address internal governance = address(0x60F);
    address internal guardian = address(0x6A1);
    address internal owner = address(0x0E1);
    CordonHub internal hub;
    MockERC20 internal token;
    UpgradeableGuardedMockV1 internal guarded;

    function setUp() public {
        vm.warp(1_700_000_000);
        address[] memory guardians = new address[](1);
        guardians[0] = guardian;
        hub = new CordonHub(governance, guardians, 1 days, 1 hours);
        UpgradeableGuardedMockV1 impl = new UpgradeableGuardedMockV1();
        ERC1967Proxy proxy = new ERC1967Proxy(
            address(impl),
            abi.encodeCall(UpgradeableGuardedMockV1.initialize, (address(hub), owner))
        );
        guarded = UpgradeableGuardedMockV1(address(proxy));
        token = new MockERC20("Token", "TKN", 18);
        token.mint(address(guarded), 1_000e18);
        vm.startPrank(governance);
        hub.addProtected(address(guarded));
        hub.setLimit(
            address(guarded),
            address(token),
            ICordonGuarded.LimitParams({
                scope: 1,
                capacity: 100e18,
                window: 1 days,
                largeThreshold: 0,
                policy: OutflowLimit.Policy.Queue,
                inflowRefills: false,
                queueDelay: 1 hours
            })
        );
        vm.stopPrank();
    }

    function test_TheHubIsSetByTheInitializerOnce() public {
        assertEq(guarded.cordonHub(), address(hub), "hub");
        assertEq(address(uint160(uint256(vm.load(address(guarded), HUB_SLOT)))), address(hub), "in its namespace");
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        guarded.initialize(address(0xBAD), owner);
    }

    function test_TheContractsOwnLayoutStartsAtSlotZero() public {
        guarded.act(0);
        assertEq(address(uint160(uint256(vm.load(address(guarded), bytes32(0))))), owner, "slot 0: owner");
        assertEq(uint256(vm.load(address(guarded), bytes32(uint256(1)))), 1, "slot 1: counter");
        // The guard word lives in the namespace: its sentinel bit is set once the hub pushed.
        assertTrue(uint256(vm.load(address(guarded), CORDON_SLOT)) & (1 << 47) != 0, "guard word in the namespace");
    }

    function test_PausedBehindTheProxy() public {
        vm.prank(guardian);
        hub.pause(Reasons.SECURITY_DRAIN);
        (HubState state, , ) = guarded.cordonState();
        assertEq(uint256(state), uint256(HubState.Paused), "pushed through the proxy");
        vm.expectRevert(abi.encodeWithSelector(ICordonGuarded.CordonScopeClosed.selector, 0, HubState.Paused, 1));
        guarded.act(0);
    }

    function test_AnUpgradeKeepsEveryCordonWordAndTheLayout() public {
        guarded.act(0);
        guarded.send(address(token), address(0xA11), 150e18); // queued: over the limit
        vm.prank(guardian);
        hub.pauseScopes(1 << 4, Reasons.SECURITY_DRAIN);

        bytes32[WORDS] memory before;
        for (uint256 i = 0; i < WORDS; ++i) before[i] = vm.load(address(guarded), bytes32(uint256(CORDON_SLOT) + i));
        bytes32 hubWord = vm.load(address(guarded), HUB_SLOT);
        (ICordonGuarded.LimitParams memory params, uint256 used, ) = guarded.outflowLimit(address(token));

        UpgradeableGuardedMockV2 v2 = new UpgradeableGuardedMockV2();
        vm.prank(owner);
        guarded.upgradeToAndCall(address(v2), "");
        UpgradeableGuardedMockV2 upgraded = UpgradeableGuardedMockV2(address(guarded));
        assertEq(upgraded.version(), 2, "upgraded");
        upgraded.setAdded(7);

        for (uint256 i = 0; i < WORDS; ++i) {
            assertEq(vm.load(address(guarded), bytes32(uint256(CORDON_SLOT) + i)), before[i], "a Cordon word moved");
        }
        assertEq(vm.load(address(guarded), HUB_SLOT), hubWord, "the hub");
        assertEq(upgraded.owner(), owner, "own layout: owner");
        assertEq(upgraded.counter(), 1, "own layout: counter");
        assertEq(upgraded.balances(address(this)), 1, "own layout: balances");
        assertEq(uint256(vm.load(address(guarded), bytes32(uint256(3)))), 7, "the new variable is appended");
        (ICordonGuarded.LimitParams memory after_, uint256 usedAfter, ) = upgraded.outflowLimit(address(token));
        assertEq(after_.capacity, params.capacity, "limit kept");
        assertEq(usedAfter, used, "used kept");
        assertEq(upgraded.queuedOutflow(1).amount, 150e18, "queue kept");
        assertFalse(upgraded.isScopeOpen(4), "pause kept");
        vm.warp(block.timestamp + 1 days);
        assertTrue(upgraded.isScopeOpen(4), "and it still ends by itself");
    }
}
