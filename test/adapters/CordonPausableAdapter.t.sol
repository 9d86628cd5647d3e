// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {CordonPausableAdapter} from "../../contracts/adapters/CordonPausableAdapter.sol";
import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../../contracts/interfaces/ICordonHub.sol";
import {HubState, HubSync} from "../../contracts/libraries/CordonTypes.sol";
import {PausableProtocolMock} from "../../contracts/mocks/PausableProtocolMock.sol";
import {Test} from "../utils/Test.sol";

/// @dev The hub driving an OpenZeppelin `Pausable` protocol it did not write, through CordonPausableAdapter.
contract CordonPausableAdapterTest is Test {
    uint40 internal constant DURATION = 3 days;
    uint40 internal constant COOLDOWN = 1 days;
    uint16 internal constant REASON = 0x0101;
    uint256 internal constant FOLLOWED_SCOPE = 2;

    CordonHub internal hub;
    PausableProtocolMock internal protocol;
    CordonPausableAdapter internal adapter;
    address internal guardian = address(0x6A);
    address internal user = address(0x05E4);

    function setUp() public {
        address[] memory guardians = new address[](1);
        guardians[0] = guardian;
        hub = new CordonHub(address(this), guardians, DURATION, COOLDOWN);
        protocol = new PausableProtocolMock();
        adapter = _adapter(false);
        protocol.grantRole(protocol.PAUSER_ROLE(), address(adapter));
        hub.addProtected(address(adapter));
        vm.deal(user, 10 ether);
        vm.prank(user);
        protocol.deposit{value: 1 ether}();
    }

    function _adapter(bool openInExitMode) internal returns (CordonPausableAdapter) {
        return
            new CordonPausableAdapter(
                address(hub),
                address(protocol),
                abi.encodeCall(PausableProtocolMock.pause, ()),
                abi.encodeCall(PausableProtocolMock.unpause, ()),
                Pausable.paused.selector,
                1 << FOLLOWED_SCOPE,
                openInExitMode
            );
    }

    function _guardianPause() internal {
        vm.prank(guardian);
        hub.pause(REASON);
    }

    function test_AGuardianPausePausesTheTarget() public {
        _guardianPause();
        assertTrue(protocol.paused(), "the target is paused");
        assertTrue(adapter.pausedByCordon(), "by the adapter");
        vm.prank(user);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        protocol.withdraw(1);
        (HubState state, uint64 incident, ) = adapter.cordonState();
        assertEq(uint256(state), uint256(HubState.Paused), "the adapter knows the state");
        assertEq(incident, hub.incidentId(), "and the incident");
    }

    function test_TheTargetReopensWhenAGuardianPauseExpires() public {
        _guardianPause();
        vm.warp(block.timestamp + DURATION);
        assertFalse(adapter.closedNow(), "the pause has ended");
        assertTrue(protocol.paused(), "the target cannot see it by itself");
        vm.prank(user);
        adapter.sync(); // anyone
        assertFalse(protocol.paused(), "reopened");
        vm.prank(user);
        protocol.withdraw(1);
    }

    function test_GovernanceHoldsAndUnpauses() public {
        _guardianPause();
        hub.pause(REASON); // governance holds it
        vm.warp(block.timestamp + DURATION);
        adapter.sync();
        assertTrue(protocol.paused(), "held past the guardian's bound");
        hub.unpause(0x0401);
        assertFalse(protocol.paused(), "governance's unpause reopens it");
    }

    function test_AnAdminsOwnPauseIsNotLifted() public {
        protocol.pause(); // the team's own pause, before any incident
        _guardianPause();
        assertFalse(adapter.pausedByCordon(), "the adapter did not pause it");
        hub.unpause(0x0401);
        assertTrue(protocol.paused(), "the admin's pause stays");
    }

    function test_AnAdminsUnpauseDuringAnIncidentIsRepairedByTheNextPush() public {
        _guardianPause();
        protocol.unpause(); // the admin reopens it during the incident
        adapter.sync();
        assertTrue(protocol.paused(), "the hub still says paused");
    }

    function test_AFollowedScopePausesItAndOthersDoNot() public {
        vm.prank(guardian);
        hub.pauseScopes(1 << (FOLLOWED_SCOPE + 1), REASON);
        assertFalse(protocol.paused(), "another scope leaves it open");
        assertTrue(adapter.isScopeOpen(uint8(FOLLOWED_SCOPE)), "its scope is open");
        hub.pauseScopes(1 << FOLLOWED_SCOPE, REASON); // governance holds its scope
        assertTrue(protocol.paused(), "its scope closes it");
        assertFalse(adapter.isScopeOpen(uint8(FOLLOWED_SCOPE)), "its scope is closed");
        hub.unpauseScopes(1 << FOLLOWED_SCOPE, 0x0401);
        assertFalse(protocol.paused(), "reopened with its scope");
    }

    function test_RecoveryAndShutdownKeepItPausedUnlessOpenInExitMode() public {
        _guardianPause();
        hub.enterRecovery(0, 0x0401);
        assertTrue(protocol.paused(), "closed in Recovery");
        hub.shutdown(0x0501);
        assertTrue(protocol.paused(), "closed in Shutdown");
    }

    function test_OpenInExitModeReopensInRecovery() public {
        hub.removeProtected(address(adapter));
        adapter = _adapter(true);
        protocol.grantRole(protocol.PAUSER_ROLE(), address(adapter));
        hub.addProtected(address(adapter));
        _guardianPause();
        assertTrue(protocol.paused(), "closed while Paused");
        hub.enterRecovery(0, 0x0401);
        assertFalse(protocol.paused(), "open for exits in Recovery");
    }

    function test_WithoutTheRoleThePushFailsAndIsRecorded() public {
        protocol.revokeRole(protocol.PAUSER_ROLE(), address(adapter));
        bytes memory denied = abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector,
            address(adapter),
            protocol.PAUSER_ROLE()
        );
        bytes memory reason = abi.encodeWithSelector(
            CordonPausableAdapter.CordonAdapterCallFailed.selector,
            address(protocol),
            PausableProtocolMock.pause.selector,
            denied
        );
        vm.expectEmit(true, false, false, true, address(hub));
        emit ICordonHub.SyncFailed(address(adapter), reason);
        _guardianPause();
        assertFalse(protocol.paused(), "the target stayed open, and the hub says which");
    }

    function test_RevertWhen_SomeoneElsePushes() public {
        HubSync memory current = hub.currentSync();
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(ICordonGuarded.CordonOnlyHub.selector, user, address(hub)));
        adapter.cordonSync(current);
    }

    function test_RevertWhen_TheSetupIsInvalid() public {
        bytes memory pauseCall = abi.encodeCall(PausableProtocolMock.pause, ());
        vm.expectRevert(
            abi.encodeWithSelector(
                CordonPausableAdapter.CordonAdapterUnreadablePaused.selector,
                address(protocol),
                bytes4(0x12345678)
            )
        );
        new CordonPausableAdapter(address(hub), address(protocol), pauseCall, pauseCall, 0x12345678, 0, false);
        vm.expectRevert(
            abi.encodeWithSelector(CordonPausableAdapter.CordonAdapterInvalidSetup.selector, "target", "has no code")
        );
        new CordonPausableAdapter(address(hub), user, pauseCall, pauseCall, Pausable.paused.selector, 0, false);
        vm.expectRevert(
            abi.encodeWithSelector(CordonPausableAdapter.CordonAdapterInvalidSetup.selector, "hub", "has no code")
        );
        new CordonPausableAdapter(user, address(protocol), pauseCall, pauseCall, Pausable.paused.selector, 0, false);
        vm.expectRevert(
            abi.encodeWithSelector(
                CordonPausableAdapter.CordonAdapterInvalidSetup.selector,
                "pauseCall",
                "needs at least a selector"
            )
        );
        new CordonPausableAdapter(address(hub), address(protocol), "", pauseCall, Pausable.paused.selector, 0, false);
        vm.expectRevert(
            abi.encodeWithSelector(
                CordonPausableAdapter.CordonAdapterInvalidSetup.selector,
                "unpauseCall",
                "needs at least a selector"
            )
        );
        new CordonPausableAdapter(address(hub), address(protocol), pauseCall, "", Pausable.paused.selector, 0, false);
        vm.expectRevert(
            abi.encodeWithSelector(
                CordonPausableAdapter.CordonAdapterInvalidSetup.selector,
                "scopes",
                "has bits above scope 207"
            )
        );
        new CordonPausableAdapter(
            address(hub),
            address(protocol),
            pauseCall,
            pauseCall,
            Pausable.paused.selector,
            1 << 208,
            false
        );
    }

    function test_LimitsAndQueuesAreRefused() public {
        bytes4 refused = CordonPausableAdapter.CordonAdapterHasNoLimits.selector;
        ICordonGuarded.LimitParams memory params;
        vm.expectRevert(refused);
        adapter.cordonSetLimit(address(0), params);
        vm.expectRevert(refused);
        adapter.cordonCancelQueued(1);
        vm.expectRevert(refused);
        adapter.cordonApproveQueued(1);
        vm.expectRevert(refused);
        adapter.claimQueued(1);
        vm.expectRevert(refused);
        adapter.outflowLimit(address(0));
        vm.expectRevert(refused);
        adapter.outflowWait(address(0), 1);
        vm.expectRevert(refused);
        adapter.queuedOutflow(1);
        vm.expectRevert(refused);
        adapter.queuedStanding(1);
        assertEq(adapter.queuedCount(), 0, "nothing queued");
        assertEq(adapter.limitedAssets().length, 0, "no limits");
        assertEq(adapter.checkInvariants(), 0, "its invariants hold");
        vm.expectRevert(abi.encodeWithSelector(ICordonGuarded.CordonInvalidScope.selector, 208));
        adapter.isScopeOpen(208);
    }

    function test_TheDigestFollowsTheTargetsPause() public {
        bytes32 open = adapter.stateDigest();
        _guardianPause();
        assertTrue(adapter.stateDigest() != open, "the digest says paused");
        assertEq(hub.latestCheckpointId(), 0, "a pause takes no checkpoint");
        // The keeper's next transaction: the guardian checkpoints the paused state.
        vm.prank(guardian);
        hub.checkpoint(REASON);
        (, bytes32 digest, ) = _latestCheckpoint();
        (bytes32 current, , ) = hub.currentDigest();
        assertTrue(digest != bytes32(0), "the hub checkpointed it");
        assertEq(digest, current, "the checkpoint holds the paused digest");
    }

    function _latestCheckpoint() internal view returns (uint256 id, bytes32 digest, uint256 code) {
        id = hub.latestCheckpointId();
        ICordonHub.Checkpoint memory cp = hub.getCheckpoint(id);
        return (id, cp.digest, cp.invariantCode);
    }

    /**
     * @dev Property: whatever governance and the guardian do, in any order and at any time, once anyone syncs the
     * adapter the target is paused exactly when the hub keeps it closed.
     */
    function testFuzz_TheTargetFollowsTheHub(uint8[12] calldata steps, uint32[12] calldata gaps) public {
        for (uint256 i = 0; i < steps.length; ++i) {
            vm.warp(block.timestamp + (gaps[i] % (4 days)));
            uint8 step = steps[i] % 6;
            if (step == 0) {
                vm.prank(guardian);
                try hub.pause(REASON) {} catch {}
            } else if (step == 1) {
                try hub.pause(REASON) {} catch {}
            } else if (step == 2) {
                try hub.unpause(0x0401) {} catch {}
            } else if (step == 3) {
                vm.prank(guardian);
                try hub.pauseScopes(1 << FOLLOWED_SCOPE, REASON) {} catch {}
            } else if (step == 4) {
                try hub.unpauseScopes(1 << FOLLOWED_SCOPE, 0x0401) {} catch {}
            } else {
                try hub.settleExpiry() {} catch {}
            }
            adapter.sync();
            bool closed = hub.state() != HubState.Active || hub.isScopePaused(uint8(FOLLOWED_SCOPE));
            assertEq(adapter.closedNow(), closed, "the adapter reads the hub as the hub does");
            assertEq(protocol.paused(), closed, "the target is paused exactly when the hub keeps it closed");
        }
    }
}
