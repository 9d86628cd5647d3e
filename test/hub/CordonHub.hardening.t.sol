// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonERC7265Adapter} from "../../contracts/adapters/CordonERC7265Adapter.sol";
import {CordonGuarded} from "../../contracts/guarded/CordonGuarded.sol";
import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../../contracts/interfaces/ICordonHub.sol";
import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {HubState} from "../../contracts/libraries/CordonTypes.sol";
import {GuardedMock} from "../../contracts/mocks/GuardedMock.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {
    BrokenBalanceToken,
    BurnerMock,
    DigestFailingMock,
    HeavyHookMock,
    HugeRevertMock,
    ReentrantPauserMock,
    RefundRefusingProtocol
} from "../../contracts/mocks/HardeningMocks.sol";
import {CordonHubTest} from "./CordonHub.t.sol";

/// @dev Each finding of the contracts review (issue 12) reproduced: the test failed before its fix.
contract CordonHub_hardening is CordonHubTest {
    MockERC20 internal token;
    address internal user = address(0x05E4);

    error Probe(bool ok, bool synced, uint256 queued, bool scopeOpen);

    function setUp() public override {
        super.setUp();
        token = new MockERC20("Token", "TKN", 18);
        token.mint(address(a), 1_000_000e18);
    }

    function _params(
        uint8 scope,
        OutflowLimit.Policy policy
    ) internal pure returns (ICordonGuarded.LimitParams memory) {
        return
            ICordonGuarded.LimitParams({
                scope: scope,
                capacity: 1_000e18,
                window: 1 days,
                largeThreshold: 0,
                policy: policy,
                inflowRefills: false,
                queueDelay: 1 hours
            });
    }

    function _setLimit(address target, address asset, uint8 scope, OutflowLimit.Policy policy) internal {
        vm.prank(governance);
        hub.setLimit(target, asset, _params(scope, policy));
    }

    // ── High: a stranger controls the guardian clock ──

    /// @dev A stranger's 1-wei over-limit outflow under TRIP starts no guardian cooldown when its episode ends.
    function test_StrangerTripStartsNoGuardianCooldown() public {
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Trip);
        vm.prank(stranger);
        a.send(address(token), stranger, 1_000e18 + 1);
        assertFalse(a.isScopeOpen(1), "tripped");
        vm.warp(block.timestamp + DURATION);
        _guardianPause(); // reverted CordonGuardianCooldown before the fix
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "a guardian pauses at once");
    }

    /// @dev A guardian pause during an episode a trip started lasts its full duration.
    function test_GuardianPauseDuringATripEpisodeLastsItsDuration() public {
        a.setInvariantCode(7);
        vm.prank(stranger);
        hub.tripOnInvariant(address(a));
        a.setInvariantCode(0);
        vm.warp(block.timestamp + 1 days);
        uint256 pausedAt = block.timestamp;
        _guardianPause();
        vm.warp(pausedAt + DURATION - 1);
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "still paused a second before its own end");
        vm.warp(pausedAt + DURATION);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "ends at its own end");
    }

    /// @dev A trip is not a free lever: after its episode, the same scope cannot trip again until governance's trip
    /// cooldown has run; the over-limit outflow is then only queued, and the scope stays open.
    function test_TripCooldownStopsARepeatTripOfTheSameScope() public {
        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.TripCooldownChanged(1 days);
        vm.prank(governance);
        hub.setTripCooldown(1 days);
        (uint40 tripCooldown, ) = hub.tripRules();
        assertEq(tripCooldown, 1 days, "rule read back");
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Trip);
        _overLimitBy(stranger, 1);
        uint256 readyAt = block.timestamp + DURATION + 1 days;
        assertEq(hub.tripReadyAt(1), readyAt, "ready a cooldown after the episode's end");
        vm.warp(block.timestamp + DURATION + 1 hours); // the episode is over, the bucket refilled, the key cooling
        _overLimitBy(stranger, 1);
        assertTrue(a.isScopeOpen(1), "the repeat trip was refused: the scope stays open");
        (bool voided, bool held) = a.queuedStanding(2);
        assertFalse(held || voided, "the refused trip's outflow is an ordinary queued one");
        vm.warp(readyAt + 1 days); // ready, and the bucket refilled again
        _overLimitBy(stranger, 1);
        assertFalse(a.isScopeOpen(1), "trips again once the cooldown has run");
    }

    /// @dev The invariant trip has its own key in the same rule, and governance may lift any key early.
    function test_InvariantTripCooldownAndGovernanceLiftsIt() public {
        vm.prank(governance);
        hub.setTripCooldown(1 days);
        a.setInvariantCode(7);
        vm.prank(stranger);
        hub.tripOnInvariant(address(a));
        a.setInvariantCode(0);
        vm.prank(governance);
        hub.unpause(REASON); // governance ends the trip's episode early; the key stays cooling down
        a.setInvariantCode(7);
        uint40 readyAt = hub.tripReadyAt(hub.INVARIANT_TRIP_KEY());
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonTripCooldown.selector, 208, readyAt));
        vm.prank(stranger);
        hub.tripOnInvariant(address(a));

        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvalidScopes.selector, uint256(1) << 208));
        vm.prank(governance);
        hub.liftTripCooldown(uint256(1) << 208, true);
        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.TripCooldownLifted(governance, 1 << 1, true);
        vm.prank(governance);
        hub.liftTripCooldown(1 << 1, true);
        assertEq(hub.tripReadyAt(208), 0, "lifted");
        vm.prank(stranger);
        hub.tripOnInvariant(address(a));
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "trips again at once");
    }

    function test_RevertWhen_TripCooldownTooLongOrNotGovernance() public {
        uint40 max = uint40(hub.MAX_GUARDIAN_PAUSE_DURATION());
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonPauseDurationTooLong.selector, max + 1, max));
        vm.prank(governance);
        hub.setTripCooldown(max + 1);
        vm.expectRevert();
        vm.prank(stranger);
        hub.setTripCooldown(1);
        vm.expectRevert();
        vm.prank(stranger);
        hub.liftTripCooldown(1, true);
    }

    // ── Medium: the tripping outflow survives its own pause ──

    function test_TrippingOutflowNeedsGovernanceApproval() public {
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Trip);
        vm.prank(stranger);
        a.send(address(token), stranger, 1_000e18 + 1);
        uint256 id = a.queuedCount();
        vm.warp(block.timestamp + DURATION);
        vm.expectRevert(abi.encodeWithSelector(ICordonGuarded.CordonQueuedNeedsApproval.selector, id));
        a.claimQueued(id);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(governance);
        hub.approveQueued(address(a), ids);
        a.claimQueued(id);
        assertEq(token.balanceOf(stranger), 1_000e18 + 1, "paid once approved");
    }

    // ── Medium: pushes can be starved by a chosen gas ──

    function probePause(uint256 gas_, address heavy) external {
        bool ok;
        try hub.pause{gas: gas_}(REASON) {
            ok = true;
        } catch {}
        (HubState stored, , ) = CordonGuarded(heavy).cordonState();
        revert Probe(ok, stored == HubState.Paused, 0, true);
    }

    function _probe(bytes memory call) internal returns (bool ok, bool synced, uint256 queued, bool scopeOpen) {
        // solhint-disable-next-line avoid-low-level-calls
        (, bytes memory result) = address(this).call(call);
        assembly ("memory-safe") {
            result := add(result, 4)
        }
        (ok, synced, queued, scopeOpen) = abi.decode(result, (bool, bool, uint256, bool));
    }

    function test_NoChosenGasStarvesAHeavyHook() public {
        HeavyHookMock heavy = new HeavyHookMock(address(hub), 150_000);
        vm.startPrank(governance);
        hub.addProtected(address(heavy));
        hub.grantRole(guardianRole, address(this));
        vm.stopPrank();
        for (uint256 g = 100_000; g < 700_000; g += 2_500) {
            (bool ok, bool synced, , ) = _probe(abi.encodeCall(this.probePause, (g, address(heavy))));
            if (ok) assertTrue(synced, "a pause that succeeds reached the heavy hook");
        }
    }

    // ── Medium: one protected contract blocks every pause ──

    function _fill(uint256 total) internal {
        vm.startPrank(governance);
        for (uint256 i = hub.protectedContracts().length; i < total; ++i) {
            hub.addProtected(address(new GuardedMock(address(hub))));
        }
        hub.grantRole(guardianRole, address(this));
        vm.stopPrank();
    }

    function test_ABurningContractCannotBlockAPause() public {
        BurnerMock burner = new BurnerMock(address(hub));
        vm.prank(governance);
        hub.addProtected{gas: 30_000_000}(address(burner));
        _fill(16);
        hub.pause{gas: 30_000_000}(REASON);
        assertEq(uint256(_stored(a)), uint256(HubState.Paused), "the others got the push");
    }

    function test_AHugeRevertCannotMakeAPauseExpensive() public {
        HugeRevertMock huge = new HugeRevertMock(address(hub));
        vm.prank(governance);
        hub.addProtected{gas: 30_000_000}(address(huge));
        _fill(16);
        uint256 before = gasleft();
        hub.pause{gas: 30_000_000}(REASON);
        assertLe(before - gasleft(), 5_000_000, "a bounded cost");
    }

    // ── Medium: the user who breaches a TRIP limit can suppress the trip ──

    function probeTrip(uint256 gas_) external {
        bool ok;
        // solhint-disable-next-line check-send-result
        try a.send{gas: gas_}(address(token), user, 1_000e18 + 1) {
            ok = true;
        } catch {}
        revert Probe(ok, true, a.queuedCount(), !hub.isScopePaused(1));
    }

    /// @dev With 64 protected contracts of 8 limited assets each, the trip costs millions of gas, so the 1/64 left
    /// after the hub runs out is enough to queue the outflow: without the fix some gas queued it with no pause.
    function test_NoChosenGasSuppressesATrip() public {
        // One outflow queued first, so the queue's counters are warm and queueing the next costs the least.
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Queue);
        a.send(address(token), user, 1_000e18 + 1);
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Trip);
        vm.startPrank(governance);
        for (uint256 i = hub.protectedContracts().length; i < 64; ++i) {
            GuardedMock mock = new GuardedMock(address(hub));
            hub.addProtected(address(mock));
            for (uint256 j = 0; j < 8; ++j) {
                hub.setLimit(address(mock), address(uint160(0xB000 + j)), _params(2, OutflowLimit.Policy.Queue));
            }
        }
        vm.stopPrank();
        uint256 start = gasleft();
        (bool ok, , , ) = _probe(abi.encodeCall(this.probeTrip, (30_000_000)));
        uint256 full = start - gasleft();
        assertTrue(ok, "trips with enough gas");
        vm.warp(block.timestamp + 1 days); // the first outflow's capacity is back
        for (uint256 g = full / 2; g < full + 50_000; g += full / 400) {
            bool queuedOk;
            uint256 queued;
            bool open;
            (queuedOk, , queued, open) = _probe(abi.encodeCall(this.probeTrip, (g)));
            if (queuedOk && queued == 2) assertFalse(open, "a queued trip paused the scope");
        }
    }

    // ── Low ──

    function test_RemovedContractIsReleased() public {
        _guardianPause();
        vm.prank(governance);
        hub.removeProtected(address(a));
        a.act(0); // reverted CordonScopeClosed before the fix
        assertEq(a.actions(), 1, "open once removed");
    }

    function test_PushesFollowTheProtectedListThroughRemovalsAndAdditions() public {
        vm.startPrank(governance);
        hub.removeProtected(address(a));
        hub.removeProtected(address(b));
        vm.stopPrank();
        assertEq(hub.protectedContracts().length, 0, "nothing protected");
        // A pause with nothing protected pushes to nobody, and the removed contracts stay open.
        _guardianPause();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "paused");
        a.act(0);
        b.act(0);
        // Added again, `b` hears the pause at once, and later pushes reach it (and not the removed `a`).
        vm.prank(governance);
        hub.addProtected(address(b));
        assertEq(hub.protectedContracts()[0], address(b), "b protected");
        (HubState seen, , ) = b.cordonState();
        assertEq(uint256(seen), uint256(HubState.Paused), "b hears the pause when added");
        vm.prank(governance);
        hub.unpause(REASON);
        (seen, , ) = b.cordonState();
        assertEq(uint256(seen), uint256(HubState.Active), "b hears the unpause");
        vm.warp(block.timestamp + COOLDOWN + 1);
        _guardianPause();
        (seen, , ) = b.cordonState();
        assertEq(uint256(seen), uint256(HubState.Paused), "b hears the next pause");
        a.act(0);
        assertEq(a.actions(), 2, "the removed contract is pushed no more");
    }

    function test_RevertWhen_GuardianCheckpointsInRecovery() public {
        _guardianPause();
        _enterRecovery();
        vm.expectRevert(_unauthorized(guardians[0], governanceRole));
        vm.prank(guardians[0]);
        hub.checkpoint(REASON);
    }

    function test_RevertWhen_GuardianPausesRightAfterGovernanceUnpaused() public {
        _guardianPause();
        vm.prank(governance);
        hub.unpause(REASON);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonGuardianCooldown.selector, uint40(block.timestamp + COOLDOWN))
        );
        _guardianPause();
    }

    function test_RevertWhen_CooldownBelowTheMinimum() public {
        uint256 min = hub.MIN_GUARDIAN_COOLDOWN();
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonCooldownTooShort.selector, 0, min));
        _setPauseRules(DURATION, 0);
    }

    function test_ANestedPauseCannotLeaveAStaleState() public {
        CordonHub hub2 = new CordonHub(governance, guardians, DURATION, COOLDOWN);
        ReentrantPauserMock reentrant = new ReentrantPauserMock(address(hub2));
        GuardedMock after_ = new GuardedMock(address(hub2));
        vm.startPrank(governance);
        hub2.addProtected(address(reentrant));
        hub2.addProtected(address(after_));
        hub2.grantRole(hub2.GUARDIAN_ROLE(), address(reentrant));
        vm.stopPrank();
        vm.prank(guardians[0]);
        hub2.pauseScopes(1 << 2, REASON);
        assertTrue(reentrant.tried(), "the nested pause was tried");
        assertEq(after_.isScopeOpen(9), !hub2.isScopePaused(9), "every contract agrees with the hub");
        assertFalse(reentrant.nestedOk(), "a nested transition is refused");
    }

    function test_RevertWhen_AddingAContractOfAnotherHub() public {
        GuardedMock foreign = new GuardedMock(address(0xF0E));
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonWrongHub.selector, address(foreign), address(0xF0E)));
        vm.prank(governance);
        hub.addProtected(address(foreign));
    }

    function test_RevertWhen_ProtectedTripsScopesItHasNoLimitIn() public {
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Trip);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonTripScopesNotAllowed.selector, address(a), (1 << 5) | 2, 587)
        );
        vm.prank(address(a));
        hub.tripFromProtected((1 << 5) | 2, REASON);
    }

    function test_AScopePauseVoidsOnlyItsOwnQueuedOutflows() public {
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Queue);
        a.send(address(token), user, 1_000e18 + 1);
        _guardianPauseScopes(1 << 5);
        vm.warp(block.timestamp + 1 hours);
        a.claimQueued(1); // reverted CordonQueuedVoided before the fix
        assertEq(token.balanceOf(user), 1_000e18 + 1, "paid");
    }

    /// @dev A pause writes an asset's void epoch only when something was queued of it since the last write (to save
    /// a slot write per asset per pause): every outflow queued before a closing pause is voided by it, however many
    /// pauses came between, and none queued after the last closing pause is.
    function test_EveryPauseVoidsExactlyWhatWasQueuedBeforeIt() public {
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Queue);
        _overLimitBy(user, 1); // id 1, queued before the first pause
        _guardianPause();
        (bool voided, ) = a.queuedStanding(1);
        assertTrue(voided, "1 voided by the first pause");
        _reopenAfterCooldown();
        _guardianPause(); // nothing new was queued: nothing to write, 1 stays voided
        (voided, ) = a.queuedStanding(1);
        assertTrue(voided, "1 still voided");
        _reopenAfterCooldown();
        vm.warp(block.timestamp + 1 days); // the bucket refills
        _overLimitBy(user, 1); // id 2, queued after both pauses
        (voided, ) = a.queuedStanding(2);
        assertFalse(voided, "2 not voided by earlier pauses");
        _guardianPauseScopes(1 << 5); // a pause that does not close the asset voids nothing
        (voided, ) = a.queuedStanding(2);
        assertFalse(voided, "2 not voided by another scope's pause");
        _reopenAfterCooldown();
        _guardianPauseScopes(1 << 1); // the asset's own scope: 2 is voided now
        (voided, ) = a.queuedStanding(2);
        assertTrue(voided, "2 voided by the pause of its scope");
        _reopenAfterCooldown();
        vm.warp(block.timestamp + 1 days);
        _overLimitBy(user, 1); // id 3
        (voided, ) = a.queuedStanding(3);
        assertFalse(voided, "3 queued after the last closing pause");
        vm.warp(block.timestamp + 1 hours);
        a.claimQueued(3);
        assertEq(token.balanceOf(user), 1_000e18 + 1, "3 paid");
    }

    /// @dev `who` sends itself `excess` more than the limit's capacity from `a`.
    function _overLimitBy(address who, uint256 excess) private {
        vm.prank(who);
        a.send(address(token), who, 1_000e18 + excess);
    }

    function _reopenAfterCooldown() private {
        vm.prank(governance);
        hub.unpause(REASON); // the protocol and every scope
        vm.warp(block.timestamp + COOLDOWN + 1);
    }

    function test_VoidedOutflowsAreClaimableInShutdown() public {
        _setLimit(address(a), address(token), 1, OutflowLimit.Policy.Queue);
        a.send(address(token), user, 1_000e18 + 1);
        _guardianPause();
        vm.prank(governance);
        hub.shutdown(REASON);
        vm.warp(block.timestamp + 1 hours);
        a.claimQueued(1); // reverted CordonQueuedVoided before the fix
        assertEq(token.balanceOf(user), 1_000e18 + 1, "paid in Shutdown");
    }

    // ── Informational ──

    function test_RevertWhen_LargeThresholdRoundsToZero() public {
        ICordonGuarded.LimitParams memory p = _params(1, OutflowLimit.Policy.Queue);
        p.capacity = 1_000;
        p.largeThreshold = 1;
        // 1000 * floor(1 * 2048 / 1000) / 2048 rounds to 0: the smallest threshold worth 1 is 2 (fraction 4).
        vm.expectRevert(abi.encodeWithSelector(OutflowLimit.OutflowLimitInvalidLargeThreshold.selector, 1, 2, 1000));
        vm.prank(governance);
        hub.setLimit(address(a), address(token), p);
        p.largeThreshold = 2;
        vm.prank(governance);
        hub.setLimit(address(a), address(token), p);
        (ICordonGuarded.LimitParams memory stored, , ) = a.outflowLimit(address(token));
        assertEq(stored.largeThreshold, 1, "an effective threshold of at least 1");
    }

    function test_RevertWhen_ResumingWithAnUnreadableDigest() public {
        DigestFailingMock d = new DigestFailingMock(address(hub));
        vm.prank(governance);
        hub.addProtected(address(d));
        _guardianPause();
        d.setDigestFails(true);
        _enterRecovery();
        uint256 id = _checkpoint();
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonDigestUnreadable.selector, address(d)));
        _resume(id);
    }

    function test_RevertWhen_RecoveryNamesAnEarlierIncidentsCheckpoint() public {
        _guardianPause();
        // A pause takes no checkpoint; the keeper's guardian takes one right after.
        vm.prank(guardians[0]);
        uint256 old = hub.checkpoint(REASON);
        vm.prank(governance);
        hub.unpause(REASON);
        vm.warp(block.timestamp + COOLDOWN + 1);
        _guardianPause();
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonCheckpointOfOtherIncident.selector, old, uint64(1), uint64(2))
        );
        vm.prank(governance);
        hub.enterRecovery(old, REASON);
        // A checkpoint of this incident is accepted.
        vm.prank(guardians[0]);
        uint256 current = hub.checkpoint(REASON);
        vm.prank(governance);
        hub.enterRecovery(current, REASON);
        assertEq(uint256(hub.state()), uint256(HubState.Recovery), "recovered from this incident's checkpoint");
    }

    function test_RevertWhen_RecoveryNamesACheckpointWhenNoneWasTaken() public {
        _guardianPause();
        assertEq(hub.latestCheckpointId(), 0, "a pause takes no checkpoint");
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonUnknownCheckpoint.selector, 1, 1, 0));
        vm.prank(governance);
        hub.enterRecovery(1, REASON);
    }

    function test_RevertWhen_TooManyLimitedAssets() public {
        uint256 max = a.MAX_LIMITED_ASSETS();
        for (uint256 i = a.limitedAssets().length; i < max; ++i) {
            _setLimit(address(a), address(uint160(0x1000 + i)), 1, OutflowLimit.Policy.Queue);
        }
        vm.expectRevert(abi.encodeWithSelector(ICordonGuarded.CordonTooManyLimitedAssets.selector, max));
        vm.prank(governance);
        hub.setLimit(address(a), address(0x9999), _params(1, OutflowLimit.Policy.Queue));
    }
}

/// @dev The adapter's findings.
contract CordonERC7265Adapter_hardening is CordonHubTest {
    CordonERC7265Adapter internal adapter;
    RefundRefusingProtocol internal protocol;
    RefundRefusingProtocol internal other;
    BrokenBalanceToken internal token;

    function setUp() public override {
        super.setUp();
        adapter = new CordonERC7265Adapter(address(hub));
        protocol = new RefundRefusingProtocol(adapter);
        other = new RefundRefusingProtocol(adapter);
        token = new BrokenBalanceToken();
        ICordonGuarded.LimitParams memory p = ICordonGuarded.LimitParams({
            scope: 1,
            capacity: 100e18,
            window: 1 days,
            largeThreshold: 0,
            policy: OutflowLimit.Policy.Queue,
            inflowRefills: false,
            queueDelay: 1 hours
        });
        vm.startPrank(governance);
        hub.addProtected(address(adapter));
        hub.setLimit(address(adapter), address(token), p);
        hub.setLimit(address(adapter), adapter.NATIVE_ASSET(), p);
        adapter.setProtectedCaller(address(protocol), true);
        adapter.setProtectedCaller(address(other), true);
        vm.stopPrank();
        token.mint(address(protocol), 1_000e18);
        token.mint(address(other), 1_000e18);
    }

    function test_InvariantDoesNotRevertWhenABalanceReverts() public {
        token.setBroken(true);
        assertEq(adapter.checkInvariants(), 0, "a reverting balanceOf is no evidence");
    }

    function test_RevertWhen_AnOutflowIsUnfunded() public {
        other.pay(address(token), 150e18);
        other.reportOnly(address(token), 150e18, address(0xA11)); // locked: funded
        vm.expectRevert();
        protocol.reportOnly(address(token), 10e18, address(0xB0B)); // nothing transferred
    }

    function test_ACancelSurvivesARefusedRefund() public {
        vm.deal(address(protocol), 200e18);
        vm.prank(address(protocol));
        protocol.withdrawNative(150e18, address(0xA11));
        uint256[] memory ids = new uint256[](1);
        ids[0] = 1;
        vm.prank(governance);
        hub.cancelQueued(address(adapter), ids); // reverted before the fix: the refund reverts
        assertEq(adapter.refundOwed(address(protocol), adapter.NATIVE_ASSET()), 150e18, "owed");
    }

    /// @dev What a cancel owes stays claimable: refused while the protocol refuses it, paid once it accepts.
    function test_AnOwedRefundIsClaimedOnceTheProtocolAcceptsIt() public {
        vm.deal(address(protocol), 200e18);
        vm.prank(address(protocol));
        protocol.withdrawNative(150e18, address(0xA11));
        uint256[] memory ids = new uint256[](1);
        ids[0] = 1;
        vm.prank(governance);
        hub.cancelQueued(address(adapter), ids);
        address native = adapter.NATIVE_ASSET();
        vm.expectRevert(
            abi.encodeWithSelector(
                CordonERC7265Adapter.CordonAdapterRefundFailed.selector,
                address(protocol),
                native,
                150e18
            )
        );
        protocol.claimRefund(native);
        protocol.setAcceptsRefunds(true);
        uint256 before = address(protocol).balance;
        protocol.claimRefund(native);
        assertEq(address(protocol).balance - before, 150e18, "refunded");
        assertEq(adapter.refundOwed(address(protocol), native), 0, "nothing owed");
    }
}

/// @dev Medium: resume could be griefed forever by 1-wei exits in Recovery; governance now seals the exit path.
contract CordonHub_seal is CordonHubTest {
    MockERC20 internal token;

    function setUp() public override {
        super.setUp();
        token = new MockERC20("Token", "TKN", 18);
        token.mint(address(a), 1_000e18);
        vm.prank(governance);
        hub.setLimit(
            address(a),
            address(token),
            ICordonGuarded.LimitParams({
                scope: 1,
                capacity: 1_000e18,
                window: 1 days,
                largeThreshold: 0,
                policy: OutflowLimit.Policy.Queue,
                inflowRefills: false,
                queueDelay: 0
            })
        );
    }

    function test_GovernanceSealsExitsForAResumeAndTheyReopenByThemselves() public {
        _guardianPause();
        _enterRecovery();
        a.exit(address(token), stranger, 1); // the exit path is open in Recovery
        vm.prank(governance);
        uint256 id = hub.sealExits(1 hours, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonGuarded.CordonExitClosed.selector, address(token), HubState.Recovery, 1)
        );
        a.exit(address(token), stranger, 1); // a griefer cannot move the state now
        (, uint40 sealedUntil) = hub.tripRules();
        assertEq(sealedUntil, block.timestamp + 1 hours, "sealed until");
        vm.warp(block.timestamp + 1 hours);
        a.exit(address(token), stranger, 1); // reopened by itself
        assertEq(token.balanceOf(stranger), 2, "exits paid outside the seal");

        vm.prank(governance);
        id = hub.sealExits(1 hours, REASON);
        _resume(id);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "resumed from the sealed checkpoint");
    }

    function test_RevertWhen_SealOutsideRecoveryOrTooLong() public {
        vm.startPrank(governance);
        vm.expectRevert(_invalidTransition(HubState.Active, HubState.Recovery));
        hub.sealExits(1 hours, REASON);
        hub.enterRecovery(0, REASON);
        uint256 max = hub.MAX_SEAL_DURATION();
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonPauseDurationTooLong.selector, max + 1, max));
        hub.sealExits(uint40(max + 1), REASON);
        vm.expectRevert(ICordonHub.CordonPauseDurationZero.selector);
        hub.sealExits(0, REASON);
        vm.stopPrank();
    }
}
