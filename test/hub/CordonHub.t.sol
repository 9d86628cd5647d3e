// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../../contracts/interfaces/ICordonHub.sol";
import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {HubState, HubSync, Reasons} from "../../contracts/libraries/CordonTypes.sol";
import {GuardedMock} from "../../contracts/mocks/GuardedMock.sol";
import {Test} from "../utils/Test.sol";

/// @dev A protected contract whose every state push reverts; its checks pass.
contract SyncRefusingMock {
    address public cordonHub;

    error SyncRefused();

    function setHub(address hub_) external {
        cordonHub = hub_;
    }

    function cordonSync(HubSync calldata) external pure {
        revert SyncRefused();
    }

    function stateDigest() external pure returns (bytes32) {
        return keccak256("refusing");
    }

    function checkInvariants() external pure returns (uint256) {
        return 0;
    }
}

/// @dev A protected contract that accepts pushes but answers the checkpoint calls with no data (a catch-all fallback).
contract SilentFallbackMock {
    address public cordonHub;

    function setHub(address hub_) external {
        cordonHub = hub_;
    }

    function cordonSync(HubSync calldata) external {}

    fallback() external {}
}

/// @dev A hub protecting two GuardedMocks, with one governance and three guardians whose keys can sign attestations.
abstract contract CordonHubTest is Test {
    uint40 internal constant DURATION = 3 days;
    uint40 internal constant COOLDOWN = 1 days;
    uint40 internal constant MAX_DURATION = 30 days;
    uint16 internal constant REASON = Reasons.SECURITY_DRAIN;
    uint256 internal constant STRANGER_KEY = 0x5742A9;

    address internal governance = address(0x60F);
    address internal stranger;
    uint256[] internal guardianKeys;
    /// @dev In ascending order, as attestations must be.
    address[] internal guardians;
    bytes32 internal guardianRole;
    bytes32 internal governanceRole;

    CordonHub internal hub;
    GuardedMock internal a;
    GuardedMock internal b;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        uint256[3] memory keys = [uint256(0xA11CE), 0xB0B, 0xCA7];
        // Sort the keys by address (three elements: a fixed exchange network).
        for (uint256 i = 0; i < 3; ++i) {
            for (uint256 j = i + 1; j < 3; ++j) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        for (uint256 i = 0; i < 3; ++i) {
            guardianKeys.push(keys[i]);
            guardians.push(vm.addr(keys[i]));
        }
        stranger = vm.addr(STRANGER_KEY);

        hub = new CordonHub(governance, guardians, DURATION, COOLDOWN);
        guardianRole = hub.GUARDIAN_ROLE();
        governanceRole = hub.GOVERNANCE_ROLE();
        a = new GuardedMock(address(hub));
        b = new GuardedMock(address(hub));
        a.setDigest(keccak256("a"));
        b.setDigest(keccak256("b"));
        vm.startPrank(governance);
        hub.addProtected(address(a));
        hub.addProtected(address(b));
        vm.stopPrank();
        _allowTrips(a);
        _allowTrips(b);
    }

    /// @dev Gives `mock` limits in scopes 0, 3, 6 and 9 (dummy assets), the scopes the tests trip from it.
    function _allowTrips(GuardedMock mock) internal {
        uint8[4] memory scopes = [0, 3, 6, 9];
        vm.startPrank(governance);
        for (uint256 i = 0; i < scopes.length; ++i) {
            hub.setLimit(
                address(mock),
                address(uint160(0xA000 + i)),
                ICordonGuarded.LimitParams({
                    scope: scopes[i],
                    capacity: 1_000e18,
                    window: 1 days,
                    largeThreshold: 0,
                    policy: OutflowLimit.Policy.Trip,
                    inflowRefills: false,
                    queueDelay: 1 hours
                })
            );
        }
        vm.stopPrank();
    }

    function _guardianPause() internal {
        vm.prank(guardians[0]);
        hub.pause(REASON);
    }

    function _guardianPauseScopes(uint256 scopes) internal {
        vm.prank(guardians[0]);
        hub.pauseScopes(scopes, REASON);
    }

    function _enterRecovery() internal {
        vm.prank(governance);
        hub.enterRecovery(0, REASON);
    }

    function _checkpoint() internal returns (uint256 id) {
        vm.prank(governance);
        id = hub.checkpoint(REASON);
    }

    function _resume(uint256 id) internal {
        vm.prank(governance);
        hub.resume(id, new ICordonHub.Attestation[](0), REASON);
    }

    function _setPauseRules(uint256 duration, uint256 cooldown) internal {
        vm.prank(governance);
        hub.setPauseRules(uint40(duration), uint40(cooldown));
    }

    function _scopeClosed(uint8 scope, HubState state, uint64 incident) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ICordonGuarded.CordonScopeClosed.selector, scope, state, incident);
    }

    function _invalidTransition(HubState from, HubState to) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ICordonHub.CordonInvalidTransition.selector, from, to);
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _stored(GuardedMock mock) internal view returns (HubState state) {
        (state, , ) = mock.cordonState();
    }

    function _isInsider(address account) internal view returns (bool) {
        return
            account == governance ||
            hub.hasRole(guardianRole, account) ||
            hub.hasRole(governanceRole, account) ||
            account == address(a) ||
            account == address(b);
    }
}

contract CordonHub_accessControl is CordonHubTest {
    /// @dev Indexes of the state-changing functions `_callHub` calls. 0..2 are open to guardians, 3..18 are
    /// governance-only, 19 is open to protected contracts only.
    uint256 internal constant FUNCTIONS = 20;
    uint256 internal constant FIRST_GOVERNANCE_ONLY = 3;
    uint256 internal constant LAST_GOVERNANCE_ONLY = 18;
    uint256 internal constant TRIP_FROM_PROTECTED = 19;

    GuardedMock internal extra;

    function setUp() public override {
        super.setUp();
        extra = new GuardedMock(address(hub));
    }

    /// @dev Calls state-changing function `which` with plausible arguments. Makes no other external call first, so a
    /// `vm.prank` before it applies to the hub call.
    function _callHub(uint256 which) internal {
        uint256[] memory ids = new uint256[](1);
        ids[0] = 1;
        ICordonGuarded.LimitParams memory params = ICordonGuarded.LimitParams({
            scope: 1,
            capacity: 1_000e18,
            window: 1 days,
            largeThreshold: 0,
            policy: OutflowLimit.Policy.Queue,
            inflowRefills: false,
            queueDelay: 1 hours
        });
        if (which == 0) hub.pause(REASON);
        else if (which == 1) hub.pauseScopes(1 << 3, REASON);
        else if (which == 2) hub.checkpoint(REASON);
        else if (which == 3) hub.unpause(REASON);
        else if (which == 4) hub.unpauseScopes(1 << 3, REASON);
        else if (which == 5) hub.enterRecovery(0, REASON);
        else if (which == 6) hub.resume(1, new ICordonHub.Attestation[](0), REASON);
        else if (which == 7) hub.shutdown(REASON);
        else if (which == 8) hub.setPauseRules(1 days, 1 days);
        else if (which == 9) hub.liftCooldown();
        else if (which == 10) hub.setAttestationThreshold(1);
        else if (which == 11) hub.setGrace(1 << 2, 1 days);
        else if (which == 12) hub.addProtected(address(extra));
        else if (which == 13) hub.removeProtected(address(b));
        else if (which == 14) hub.setLimit(address(a), address(0x70C3), params);
        else if (which == 15) hub.cancelQueued(address(a), ids);
        else if (which == 16) hub.approveQueued(address(a), ids);
        else if (which == 17) hub.grantRole(guardianRole, address(0xBEEF));
        else if (which == 18) hub.revokeRole(guardianRole, guardians[0]);
        else hub.tripFromProtected(1 << 3, REASON);
    }

    /// @dev The error function `which` gives an account that is neither governance, guardian nor protected.
    function _strangerError(address account, uint256 which) internal view returns (bytes memory) {
        if (which == TRIP_FROM_PROTECTED) {
            return abi.encodeWithSelector(ICordonHub.CordonNotProtected.selector, account);
        }
        if (which < 2) return _unauthorized(account, guardianRole);
        return _unauthorized(account, governanceRole);
    }

    function _expectRefused(address account, uint256 which) internal {
        vm.expectRevert(_strangerError(account, which));
        vm.prank(account);
        _callHub(which);
    }

    function test_GovernanceAndGuardiansHoldTheirRoles() public view {
        assertTrue(hub.hasRole(governanceRole, governance), "governance");
        for (uint256 i = 0; i < guardians.length; ++i) {
            assertTrue(hub.hasRole(guardianRole, guardians[i]), "guardian");
            assertFalse(hub.hasRole(governanceRole, guardians[i]), "a guardian is not governance");
        }
        assertEq(hub.getRoleAdmin(guardianRole), governanceRole, "governance administers guardians");
        assertEq(hub.getRoleAdmin(governanceRole), governanceRole, "governance administers itself");
    }

    function test_GuardiansMayPauseAndCheckpoint() public {
        for (uint256 which = 0; which < FIRST_GOVERNANCE_ONLY; ++which) {
            vm.prank(guardians[which]);
            _callHub(which);
        }
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "paused by a guardian");
        assertTrue(hub.isScopePaused(3), "scope paused by a guardian");
    }

    function test_GovernanceMayCallEveryGovernanceFunction() public {
        // Set up what the governance-only calls need: a paused scope to unpause, and queued outflows are left out
        // (cancelQueued and approveQueued need a pending outflow; they are covered by the vault tests).
        _guardianPauseScopes(1 << 3);
        for (uint256 which = FIRST_GOVERNANCE_ONLY; which <= LAST_GOVERNANCE_ONLY; ++which) {
            if (which == 5 || which == 6 || which == 7 || which == 15 || which == 16) continue;
            vm.prank(governance);
            _callHub(which);
        }
        assertTrue(hub.hasRole(guardianRole, address(0xBEEF)), "granted");
        assertFalse(hub.hasRole(guardianRole, guardians[0]), "revoked");
        assertEq(hub.protectedContracts().length, 2, "one added, one removed");
        assertEq(hub.protectedContracts()[1], address(extra), "the added one took the removed one's place");
    }

    function test_RevertWhen_StrangerCallsEachStateChangingFunction() public {
        for (uint256 which = 0; which < FUNCTIONS; ++which) {
            _expectRefused(stranger, which);
        }
    }

    function test_RevertWhen_GuardianCallsEachGovernanceFunction() public {
        for (uint256 which = FIRST_GOVERNANCE_ONLY; which <= LAST_GOVERNANCE_ONLY; ++which) {
            _expectRefused(guardians[1], which);
        }
        // A guardian is not a protected contract either.
        _expectRefused(guardians[1], TRIP_FROM_PROTECTED);
    }

    function testFuzz_RevertWhen_StrangerCallsAnyStateChangingFunction(address account, uint256 which) public {
        vm.assume(!_isInsider(account) && account != address(vm));
        _expectRefused(account, bound(which, 0, FUNCTIONS - 1));
    }

    function testFuzz_RevertWhen_GuardianCallsAnyGovernanceFunction(uint256 guardian, uint256 which) public {
        address account = guardians[bound(guardian, 0, guardians.length - 1)];
        _expectRefused(account, bound(which, FIRST_GOVERNANCE_ONLY, LAST_GOVERNANCE_ONLY));
    }

    function testFuzz_AnyoneTripsOnAFailingInvariant(address caller, uint256 code) public {
        vm.assume(caller != address(vm));
        code = bound(code, 1, type(uint256).max);
        b.setInvariantCode(code);
        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.InvariantTripped(1, address(b), code, caller);
        vm.prank(caller);
        hub.tripOnInvariant(address(b));
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "tripped");
        assertEq(uint256(_stored(a)), uint256(HubState.Paused), "pushed");
        assertEq(hub.incidentId(), 1, "incident opened");
    }

    function testFuzz_AnyoneSettlesAnExpiredPause(address caller, uint256 late) public {
        vm.assume(caller != address(vm));
        late = bound(late, 0, 365 days);
        uint256 end = block.timestamp + DURATION;
        _guardianPause();

        // Before the expiry it changes nothing.
        vm.warp(end - 1);
        vm.prank(caller);
        hub.settleExpiry();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "still paused");

        vm.warp(end + late);
        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.PauseExpired(1, uint40(end), 0, true, uint40(end + COOLDOWN));
        vm.prank(caller);
        hub.settleExpiry();
        assertEq(uint256(_stored(a)), uint256(HubState.Active), "pushed Active");
        assertEq(hub.cooldownUntil(), end + COOLDOWN, "cooldown runs from the expiry");
    }

    function test_RevertWhen_TripOnHoldingInvariant() public {
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvariantsHold.selector, address(a)));
        vm.prank(stranger);
        hub.tripOnInvariant(address(a));
    }

    function test_RevertWhen_TripOnUnprotectedContract() public {
        GuardedMock outsider = new GuardedMock(address(hub));
        outsider.setInvariantCode(1);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonNotProtected.selector, address(outsider)));
        vm.prank(stranger);
        hub.tripOnInvariant(address(outsider));
    }
}

contract CordonHub_guardianPause is CordonHubTest {
    /// @dev Rule 1: a guardian pause of any duration ends exactly at start + duration, with no push needed.
    function testFuzz_EndsExactlyAtStartPlusDuration(uint256 duration, uint256 scope, bool protocolWide) public {
        duration = bound(duration, 1, MAX_DURATION);
        uint8 s = uint8(bound(scope, 0, 207));
        _setPauseRules(duration, COOLDOWN);
        uint256 end = block.timestamp + duration;
        if (protocolWide) _guardianPause();
        else _guardianPauseScopes(1 << s);
        HubState pausedState = protocolWide ? HubState.Paused : HubState.Active;

        vm.warp(end - 1);
        assertEq(uint256(hub.state()), uint256(pausedState), "state a second before the end");
        assertTrue(hub.isScopePaused(s), "hub: paused a second before the end");
        assertFalse(a.isScopeOpen(s), "guarded: closed a second before the end");
        vm.expectRevert(_scopeClosed(s, pausedState, 1));
        a.act(s);

        vm.warp(end);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "Active at the end");
        assertFalse(hub.isScopePaused(s), "hub: open at the end");
        assertTrue(a.isScopeOpen(s), "guarded: open at the end");
        a.act(s);
        assertEq(a.actions(), 1, "the action ran");
        assertEq(uint256(_stored(a)), uint256(pausedState), "no push was needed");
    }

    /// @dev Rule 2: pausing again (any kind of pause, by anyone allowed) inside the episode never moves its end, even
    /// after governance changes the duration.
    function testFuzz_PausingAgainNeverMovesTheEnd(
        uint256 duration,
        uint256 at,
        uint256 how,
        uint256 newDuration
    ) public {
        duration = bound(duration, 2, MAX_DURATION);
        at = bound(at, 0, duration - 1);
        newDuration = bound(newDuration, 1, MAX_DURATION);
        _setPauseRules(duration, COOLDOWN);
        uint256 end = block.timestamp + duration;
        _guardianPauseScopes(1 << 5);

        vm.warp(block.timestamp + at);
        _setPauseRules(newDuration, COOLDOWN);
        how = bound(how, 0, 3);
        if (how == 0) {
            vm.prank(guardians[1]);
            hub.pause(REASON);
        } else if (how == 1) {
            vm.prank(guardians[2]);
            hub.pauseScopes(1 << 6, REASON);
        } else if (how == 2) {
            a.setInvariantCode(4);
            vm.prank(stranger);
            hub.tripOnInvariant(address(a));
            a.setInvariantCode(0);
        } else {
            vm.prank(address(b));
            hub.tripFromProtected(1 << 6, Reasons.SECURITY_LIMIT_TRIP);
        }
        assertEq(hub.currentSync().expiry, end, "same expiry");

        vm.warp(end - 1);
        assertTrue(hub.isScopePaused(5) && hub.isScopePaused(6), "both paused a second before the end");
        assertFalse(b.isScopeOpen(5) || b.isScopeOpen(6), "guarded: both closed a second before the end");

        vm.warp(end);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "Active at the end");
        assertFalse(hub.isScopePaused(5) || hub.isScopePaused(6), "both open at the end");
        assertTrue(b.isScopeOpen(5) && b.isScopeOpen(6), "guarded: both open at the end");
    }

    /// @dev Rule 3: a guardian may not pause during the cooldown, until governance lifts it.
    function testFuzz_RevertWhen_GuardianPausesDuringCooldown(uint256 wait, bool protocolWide) public {
        uint256 end = block.timestamp + DURATION;
        _guardianPause();
        wait = bound(wait, 0, COOLDOWN - 1);
        vm.warp(end + wait);
        assertEq(hub.cooldownUntil(), end + COOLDOWN, "cooldown, unsettled");

        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonGuardianCooldown.selector, uint40(end + COOLDOWN)));
        vm.prank(guardians[2]);
        if (protocolWide) hub.pause(REASON);
        else hub.pauseScopes(1, REASON);

        // Regression: lifting the cooldown of an expired episode nobody settled yet used to be undone by the next
        // guardian pause, which settled the episode and started its cooldown again.
        vm.prank(governance);
        hub.liftCooldown();
        vm.prank(guardians[2]);
        if (protocolWide) hub.pause(REASON);
        else hub.pauseScopes(1, REASON);
        assertTrue(hub.isScopePaused(0), "paused after the lift");
        assertEq(hub.cooldownUntil(), 0, "lifted");
        assertEq(hub.currentSync().expiry, block.timestamp + DURATION, "a new episode");
    }

    function testFuzz_GuardianPausesAgainAfterTheCooldown(uint256 wait) public {
        uint256 end = block.timestamp + DURATION;
        _guardianPause();
        vm.warp(end + COOLDOWN + bound(wait, 0, 365 days));
        _guardianPause();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "paused again");
    }

    /// @dev Rule 3: evidence-based trips are never subject to the cooldown.
    function testFuzz_TripsIgnoreTheCooldown(uint256 wait, bool invariantTrip) public {
        uint256 end = block.timestamp + DURATION;
        _guardianPause();
        vm.warp(end + bound(wait, 0, COOLDOWN - 1));
        if (invariantTrip) {
            b.setInvariantCode(2);
            vm.prank(stranger);
            hub.tripOnInvariant(address(b));
            assertEq(uint256(hub.state()), uint256(HubState.Paused), "tripped during the cooldown");
        } else {
            vm.prank(address(a));
            hub.tripFromProtected(1 << 9, Reasons.SECURITY_LIMIT_TRIP);
            assertTrue(hub.isScopePaused(9), "limit trip during the cooldown");
        }
        assertEq(hub.currentSync().expiry, block.timestamp + DURATION, "a trip is a guardian-style pause");
    }

    /// @dev Rule 1: governance confirms a guardian pause by pausing the same things itself; it then has no end.
    function test_GovernanceConfirmsByPausingItself() public {
        _guardianPause();
        _guardianPauseScopes(1 << 4);
        vm.startPrank(governance);
        hub.pause(REASON);
        hub.pauseScopes(1 << 4, REASON);
        vm.stopPrank();
        vm.warp(block.timestamp + 365 days);
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "held");
        assertTrue(hub.isScopePaused(4) && !a.isScopeOpen(4), "scope held");
        assertEq(hub.cooldownUntil(), 0, "a confirmed pause starts no cooldown");
        _guardianPauseScopes(1 << 7);
        assertTrue(hub.isScopePaused(7), "guardians may pause at once");
    }

    /// @dev Rule 1: governance confirms by entering Recovery.
    function test_GovernanceConfirmsByEnteringRecovery() public {
        _guardianPauseScopes(1 << 4);
        _enterRecovery();
        vm.warp(block.timestamp + 365 days);
        assertEq(uint256(hub.state()), uint256(HubState.Recovery), "Recovery has no end");
        assertEq(hub.currentSync().heldScopes, 1 << 4, "the guardian's scope is held");
    }

    /// @dev Rule 4: a governance pause has no end; only governance ends it.
    function test_GovernancePauseHasNoEnd() public {
        vm.prank(governance);
        hub.pause(REASON);
        vm.warp(block.timestamp + 10 * 365 days);
        vm.prank(stranger);
        hub.settleExpiry();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "still paused");
        assertEq(hub.currentSync().expiry, 0, "no expiry");
        vm.prank(governance);
        hub.unpause(REASON);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "unpaused by governance");
        assertEq(uint256(_stored(a)), uint256(HubState.Active), "pushed");
    }

    function test_GovernanceEndsAGuardianPauseEarly() public {
        _guardianPause();
        vm.warp(block.timestamp + 1 hours);
        vm.prank(governance);
        hub.unpause(REASON);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "unpaused");
        // Guardians cannot re-pause over governance's decision at once: the cooldown runs from the unpause.
        assertEq(hub.cooldownUntil(), block.timestamp + COOLDOWN, "an unpause starts the guardian cooldown");
    }

    function test_RevertWhen_UnpauseWhileInvariantFails() public {
        _guardianPauseScopes(1 << 2);
        b.setInvariantCode(11);
        bytes memory failing = abi.encodeWithSelector(ICordonHub.CordonInvariantFailing.selector, address(b), 11);
        vm.startPrank(governance);
        vm.expectRevert(failing);
        hub.unpause(REASON);
        vm.expectRevert(failing);
        hub.unpauseScopes(1 << 2, REASON);
        vm.stopPrank();
    }

    function test_RevertWhen_UnpauseWithNothingPaused() public {
        vm.expectRevert(_invalidTransition(HubState.Active, HubState.Active));
        vm.prank(governance);
        hub.unpause(REASON);
    }

    function test_RevertWhen_DurationZeroOrTooLong() public {
        vm.startPrank(governance);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonPauseDurationZero.selector));
        hub.setPauseRules(0, COOLDOWN);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonPauseDurationTooLong.selector, MAX_DURATION + 1, MAX_DURATION)
        );
        hub.setPauseRules(MAX_DURATION + 1, COOLDOWN);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonPauseDurationTooLong.selector, MAX_DURATION + 1, MAX_DURATION)
        );
        hub.setPauseRules(DURATION, MAX_DURATION + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_ScopesEmptyOrAboveTheLast() public {
        vm.startPrank(guardians[0]);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvalidScopes.selector, 0));
        hub.pauseScopes(0, REASON);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvalidScopes.selector, uint256(1) << 208));
        hub.pauseScopes(1 << 208, REASON);
        vm.stopPrank();
    }
}

contract CordonHub_resume is CordonHubTest {
    uint64 internal constant INCIDENT = 1;

    function setUp() public override {
        super.setUp();
        _guardianPause();
        _enterRecovery();
    }

    function _attestation(
        uint256 key,
        address signer,
        uint256 checkpointId
    ) internal view returns (ICordonHub.Attestation memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, hub.attestationHash(checkpointId));
        return ICordonHub.Attestation({signer: signer, signature: abi.encodePacked(r, s, v)});
    }

    /// @dev Sorts by signer (insertion sort; equal signers stay adjacent).
    function _sort(ICordonHub.Attestation[] memory list) internal pure {
        for (uint256 i = 1; i < list.length; ++i) {
            ICordonHub.Attestation memory item = list[i];
            uint256 j = i;
            while (j > 0 && list[j - 1].signer > item.signer) {
                list[j] = list[j - 1];
                --j;
            }
            list[j] = item;
        }
    }

    function _setThreshold(uint256 threshold) internal {
        vm.prank(governance);
        hub.setAttestationThreshold(threshold);
    }

    function test_ResumesFromTheLatestCheckpoint() public {
        uint256 id = _checkpoint();
        (bytes32 digest, , ) = hub.currentDigest();
        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.Resumed(INCIDENT, id, digest, 0);
        _resume(id);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "Active");
        assertEq(uint256(_stored(a)), uint256(HubState.Active), "pushed");
        assertEq(a.resumeHooks(), 1, "resume hook ran");
        assertEq(hub.currentSync().heldScopes, 0, "nothing held");
    }

    function test_RevertWhen_InvariantFails() public {
        uint256 id = _checkpoint();
        b.setInvariantCode(9);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvariantFailing.selector, address(b), 9));
        _resume(id);
    }

    function test_RevertWhen_InvariantCheckReverts() public {
        uint256 id = _checkpoint();
        a.setRevertOnCheck(true);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonInvariantFailing.selector, address(a), type(uint256).max)
        );
        _resume(id);
    }

    function test_RevertWhen_StateChangedSinceTheCheckpoint() public {
        uint256 id = _checkpoint();
        bytes32 expected = hub.getCheckpoint(id).digest;
        a.setDigest(keccak256("tampered"));
        (bytes32 current, , ) = hub.currentDigest();
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonDigestMismatch.selector, expected, current));
        _resume(id);
        // A new checkpoint of the new state is accepted.
        _resume(_checkpoint());
        assertEq(uint256(hub.state()), uint256(HubState.Active), "resumed from the new checkpoint");
    }

    function test_RevertWhen_CheckpointIsNotTheLatest() public {
        uint256 older = _checkpoint();
        uint256 latest = _checkpoint();
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonStaleCheckpoint.selector, older, latest));
        _resume(older);
    }

    function test_RevertWhen_CheckpointBelongsToAnEarlierIncident() public {
        _resume(_checkpoint());
        // A checkpoint taken between incidents records the closed incident, 1.
        vm.prank(guardians[0]);
        uint256 id = hub.checkpoint(REASON);
        // Recovery refuses it at once (it used to accept it and leave the resume to refuse it).
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonCheckpointOfOtherIncident.selector, id, uint64(1), uint64(2))
        );
        vm.prank(governance);
        hub.enterRecovery(id, REASON);
        _enterRecovery();
        assertEq(hub.incidentId(), 2, "a new incident");
        vm.prank(governance);
        uint256 current = hub.checkpoint(REASON);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonStaleCheckpoint.selector, id, current));
        _resume(id);
    }

    function test_RevertWhen_NotInRecovery() public {
        _resume(_checkpoint());
        uint256 id = _checkpoint();
        vm.expectRevert(_invalidTransition(HubState.Active, HubState.Active));
        _resume(id);
    }

    /// @dev Rule 5: enough distinct guardian attestations pass; duplicates, non-guardians, bad signatures and
    /// signatures of another checkpoint do not count.
    function testFuzz_CountsDistinctValidGuardianAttestations(
        uint256 threshold,
        uint8 good,
        uint8 badSig,
        bool duplicate,
        bool nonGuardian,
        bool staleCheckpoint
    ) public {
        threshold = bound(threshold, 1, 3);
        _setThreshold(threshold);
        uint256 previous = _checkpoint();
        uint256 id = _checkpoint();

        ICordonHub.Attestation[] memory list = new ICordonHub.Attestation[](6);
        uint256 n = 0;
        uint256 valid = 0;
        for (uint256 i = 0; i < 3; ++i) {
            if ((good >> i) & 1 == 1) {
                list[n] = _attestation(guardianKeys[i], guardians[i], id);
                ++n;
                ++valid;
                if (duplicate && valid == 1) {
                    list[n] = _attestation(guardianKeys[i], guardians[i], id);
                    ++n;
                }
            } else if ((badSig >> i) & 1 == 1) {
                // Signed by someone else, or for another checkpoint, in this guardian's name.
                list[n] =
                    staleCheckpoint
                        ? _attestation(guardianKeys[i], guardians[i], previous)
                        : _attestation(STRANGER_KEY, guardians[i], id);
                ++n;
            }
        }
        if (nonGuardian) {
            list[n] = _attestation(STRANGER_KEY, stranger, id);
            ++n;
        }
        assembly ("memory-safe") {
            mstore(list, n)
        }
        _sort(list);

        _resumeExpecting(id, list, valid, threshold);
    }

    /// @dev Resumes from `id` with `list`, expecting `valid` attestations to count against `threshold`.
    function _resumeExpecting(
        uint256 id,
        ICordonHub.Attestation[] memory list,
        uint256 valid,
        uint256 threshold
    ) internal {
        if (valid < threshold) {
            vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonNotEnoughAttestations.selector, valid, threshold));
        } else {
            (bytes32 digest, , ) = hub.currentDigest();
            vm.expectEmit(true, true, true, true, address(hub));
            emit ICordonHub.Resumed(INCIDENT, id, digest, valid);
        }
        vm.prank(governance);
        hub.resume(id, list, REASON);
    }

    function test_SignersOutOfOrderCountOnce() public {
        _setThreshold(2);
        uint256 id = _checkpoint();
        ICordonHub.Attestation[] memory list = new ICordonHub.Attestation[](2);
        list[0] = _attestation(guardianKeys[1], guardians[1], id);
        list[1] = _attestation(guardianKeys[0], guardians[0], id);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonNotEnoughAttestations.selector, 1, 2));
        vm.prank(governance);
        hub.resume(id, list, REASON);
    }

    function test_RevertWhen_ThresholdAboveGuardianCount() public {
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvalidThreshold.selector, 4, 3));
        _setThreshold(4);
    }
}

contract CordonHub_grace is CordonHubTest {
    /// @dev Grace scopes stay closed for the grace period after a resume, then open by themselves (no cooldown).
    function testFuzz_GraceScopesReopenByThemselves(uint256 period, uint256 scope) public {
        period = bound(period, 1, MAX_DURATION);
        uint8 s = uint8(bound(scope, 0, 206));
        vm.prank(governance);
        hub.setGrace(1 << s, uint40(period));
        _guardianPause();
        _enterRecovery();
        _resume(_checkpoint());
        uint256 end = block.timestamp + period;

        assertEq(uint256(hub.state()), uint256(HubState.Active), "Active");
        assertTrue(hub.isScopePaused(s) && !a.isScopeOpen(s), "grace scope closed");
        assertTrue(!hub.isScopePaused(s + 1) && a.isScopeOpen(s + 1), "other scopes open");
        vm.warp(end - 1);
        vm.expectRevert(_scopeClosed(s, HubState.Active, 1));
        a.act(s);

        vm.warp(end);
        assertFalse(hub.isScopePaused(s), "hub: grace over");
        a.act(s);
        assertEq(a.actions(), 1, "guarded: open with no push");
        assertEq(hub.cooldownUntil(), 0, "grace starts no cooldown");
        _guardianPause();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "guardians may pause right after grace");
    }

    /// @dev A pause or a trip during the grace period neither shortens the grace nor lengthens the pause: a scope in
    /// both stays closed until both have ended, and the rest follow their own end.
    function testFuzz_PauseDuringGraceKeepsBothEnds(uint256 period, uint256 duration, uint256 after_) public {
        period = bound(period, 2, MAX_DURATION);
        duration = bound(duration, 1, MAX_DURATION);
        _setPauseRules(duration, hub.MIN_GUARDIAN_COOLDOWN());
        vm.prank(governance);
        hub.setGrace((1 << 3) | (1 << 4), uint40(period));
        _guardianPause();
        _enterRecovery();
        _resume(_checkpoint());
        uint256 graceEnd = block.timestamp + period;

        vm.warp(block.timestamp + bound(after_, 0, period - 1));
        _guardianPauseScopes((1 << 3) | (1 << 5)); // one grace scope, one other
        uint256 pauseEnd = block.timestamp + duration;

        uint256 both = graceEnd > pauseEnd ? graceEnd : pauseEnd;
        vm.warp(graceEnd < pauseEnd ? graceEnd : pauseEnd);
        assertEq(hub.isScopePaused(4), block.timestamp < graceEnd, "grace-only scope follows the grace end");
        assertEq(hub.isScopePaused(5), block.timestamp < pauseEnd, "pause-only scope follows the pause end");
        if (graceEnd != pauseEnd) assertTrue(hub.isScopePaused(3) && !a.isScopeOpen(3), "a scope in both stays closed");
        vm.warp(both - 1);
        assertTrue(!a.isScopeOpen(3), "still closed a second before both ended");
        vm.warp(both);
        assertTrue(a.isScopeOpen(3) && a.isScopeOpen(4) && a.isScopeOpen(5), "all open once both ended");
        assertFalse(hub.isScopePaused(3), "hub agrees");
    }

    function test_NoGraceWithoutPeriod() public {
        vm.prank(governance);
        hub.setGrace(1 << 3, 0);
        _guardianPause();
        _enterRecovery();
        _resume(_checkpoint());
        assertFalse(hub.isScopePaused(3), "no grace");
    }
}

contract CordonHub_shutdown is CordonHubTest {
    /// @dev Rule 6: from any state, Shutdown is never left; every transition out reverts.
    function testFuzz_ShutdownIsTerminal(uint256 from, uint256 later) public {
        from = bound(from, 0, 4);
        if (from == 1) _guardianPause();
        if (from == 2) _guardianPauseScopes(1 << 3);
        if (from == 3) {
            vm.prank(governance);
            hub.pause(REASON);
        }
        if (from == 4) _enterRecovery();
        vm.prank(governance);
        hub.shutdown(REASON);
        assertEq(a.shutdownHooks(), 1, "shutdown hook ran");
        vm.warp(block.timestamp + bound(later, 0, 10 * 365 days));
        uint256 id = _checkpoint();

        bytes memory toPaused = _invalidTransition(HubState.Shutdown, HubState.Paused);
        vm.expectRevert(toPaused);
        _guardianPause();
        vm.expectRevert(toPaused);
        _guardianPauseScopes(1);
        b.setInvariantCode(1);
        vm.expectRevert(toPaused);
        hub.tripOnInvariant(address(b));
        b.setInvariantCode(0);
        vm.expectRevert(toPaused);
        vm.prank(address(a));
        hub.tripFromProtected(1, Reasons.SECURITY_LIMIT_TRIP);

        vm.startPrank(governance);
        vm.expectRevert(toPaused);
        hub.pause(REASON);
        vm.expectRevert(_invalidTransition(HubState.Shutdown, HubState.Active));
        hub.unpause(REASON);
        vm.expectRevert(_invalidTransition(HubState.Shutdown, HubState.Recovery));
        hub.enterRecovery(id, REASON);
        vm.expectRevert(_invalidTransition(HubState.Shutdown, HubState.Active));
        hub.resume(id, new ICordonHub.Attestation[](0), REASON);
        vm.expectRevert(_invalidTransition(HubState.Shutdown, HubState.Shutdown));
        hub.shutdown(REASON);
        hub.unpauseScopes(1 << 3, REASON); // allowed, and leaves the state as it is
        vm.stopPrank();
        hub.settleExpiry();

        assertEq(uint256(hub.state()), uint256(HubState.Shutdown), "hub: still Shutdown");
        assertEq(uint256(_stored(a)), uint256(HubState.Shutdown), "guarded: still Shutdown");
        assertFalse(a.isScopeOpen(3), "normal paths closed");
    }
}

contract CordonHub_sync is CordonHubTest {
    /// @dev A push that reverts is reported and does not block the transition or the other pushes.
    function test_ARevertingSyncDoesNotBlockAPause() public {
        SyncRefusingMock refusing = new SyncRefusingMock();
        refusing.setHub(address(hub));
        bytes memory reason = abi.encodeWithSelector(SyncRefusingMock.SyncRefused.selector);
        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.SyncFailed(address(refusing), reason);
        vm.prank(governance);
        hub.addProtected(address(refusing));

        vm.expectEmit(true, true, true, true, address(hub));
        emit ICordonHub.SyncFailed(address(refusing), reason);
        _guardianPause();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "paused");
        assertEq(uint256(_stored(a)), uint256(HubState.Paused), "the other contracts got the push");
        assertEq(uint256(_stored(b)), uint256(HubState.Paused), "all of them");

        vm.prank(governance);
        hub.unpause(REASON);
        assertEq(uint256(hub.state()), uint256(HubState.Active), "unpaused: its checks pass");
    }

    /// @dev Regression: a protected contract that answers the checkpoint calls with no data (e.g. a catch-all
    /// fallback) made every pause revert while decoding its answer. Such an answer now counts as a failing check.
    function test_AMalformedCheckDoesNotBlockAPause() public {
        SilentFallbackMock silent = new SilentFallbackMock();
        silent.setHub(address(hub));
        vm.prank(governance);
        hub.addProtected(address(silent));
        _guardianPause();
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "paused");
        assertEq(uint256(_stored(a)), uint256(HubState.Paused), "pushed");

        (, uint256 code, address failing) = hub.currentDigest();
        assertEq(code, type(uint256).max, "no answer counts as a failing check");
        assertEq(failing, address(silent), "named");
        vm.prank(stranger);
        hub.tripOnInvariant(address(silent));
        vm.startPrank(governance);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonInvariantFailing.selector, address(silent), type(uint256).max)
        );
        hub.unpause(REASON);
        hub.removeProtected(address(silent));
        hub.unpause(REASON);
        vm.stopPrank();
        assertEq(uint256(hub.state()), uint256(HubState.Active), "unpaused once removed");
    }

    function test_AddingAContractPushesTheCurrentState() public {
        _guardianPauseScopes(1 << 8);
        GuardedMock late = new GuardedMock(address(hub));
        vm.prank(governance);
        hub.addProtected(address(late));
        assertFalse(late.isScopeOpen(8), "closed on arrival");
        vm.warp(block.timestamp + DURATION);
        assertTrue(late.isScopeOpen(8), "and ends with the episode");
    }

    function test_RevertWhen_AddingTwice() public {
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonAlreadyProtected.selector, address(a)));
        vm.prank(governance);
        hub.addProtected(address(a));
    }

    function test_RevertWhen_OnlyTheHubSyncs() public {
        HubSync memory sync = hub.currentSync();
        vm.expectRevert(abi.encodeWithSelector(ICordonGuarded.CordonOnlyHub.selector, stranger, address(hub)));
        vm.prank(stranger);
        a.cordonSync(sync);
    }
}

contract CordonHub_governance is CordonHubTest {
    function test_SetsThePauseRules() public {
        vm.startPrank(governance);
        hub.setPauseRules(7 days, 2 days);
        hub.setAttestationThreshold(2);
        hub.setGrace((1 << 2) | (1 << 207), 12 hours);
        vm.stopPrank();
        (uint40 duration, uint40 cooldown, uint256 threshold, uint256 graceScopes, uint40 gracePeriod) = hub
            .pauseRules();
        assertEq(duration, 7 days, "duration");
        assertEq(cooldown, 2 days, "cooldown");
        assertEq(threshold, 2, "threshold");
        assertEq(graceScopes, (1 << 2) | (1 << 207), "grace scopes");
        assertEq(gracePeriod, 12 hours, "grace period");
    }

    function test_RevertWhen_GraceInvalid() public {
        vm.startPrank(governance);
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonInvalidScopes.selector, uint256(1) << 208));
        hub.setGrace(1 << 208, 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(ICordonHub.CordonPauseDurationTooLong.selector, MAX_DURATION + 1, MAX_DURATION)
        );
        hub.setGrace(1, MAX_DURATION + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_TooManyProtected() public {
        uint256 max = hub.MAX_PROTECTED();
        vm.startPrank(governance);
        for (uint256 i = hub.protectedContracts().length; i < max; ++i) {
            hub.addProtected(address(new GuardedMock(address(hub))));
        }
        address oneMore = address(new GuardedMock(address(hub)));
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonTooManyProtected.selector, max));
        hub.addProtected(oneMore);
        vm.stopPrank();
    }

    function test_RevertWhen_RemovingAnUnprotectedContract() public {
        vm.expectRevert(abi.encodeWithSelector(ICordonHub.CordonNotProtected.selector, stranger));
        vm.prank(governance);
        hub.removeProtected(stranger);
    }

    function test_KeepsTheLatestCheckpoints() public {
        uint256 history = hub.CHECKPOINT_HISTORY();
        for (uint256 i = 0; i <= history; ++i) {
            _checkpoint();
        }
        uint256 latest = hub.latestCheckpointId();
        assertEq(latest, history + 1, "one more than the history");
        assertEq(hub.getCheckpoint(latest).timestamp, block.timestamp, "the latest is kept");
        assertEq(hub.getCheckpoint(2).digest, hub.getCheckpoint(latest).digest, "the oldest kept");
        bytes4 unknown = ICordonHub.CordonUnknownCheckpoint.selector;
        vm.expectRevert(abi.encodeWithSelector(unknown, 1, 2, latest));
        hub.getCheckpoint(1);
        vm.expectRevert(abi.encodeWithSelector(unknown, 0, 2, latest));
        hub.getCheckpoint(0);
        vm.expectRevert(abi.encodeWithSelector(unknown, latest + 1, 2, latest));
        hub.getCheckpoint(latest + 1);
    }
}
