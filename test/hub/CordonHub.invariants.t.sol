// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonHub} from "../../contracts/interfaces/ICordonHub.sol";
import {HubState, HubSync, Reasons} from "../../contracts/libraries/CordonTypes.sol";
import {GuardedMock} from "../../contracts/mocks/GuardedMock.sol";
import {Test} from "../utils/Test.sol";

/**
 * @dev Drives a hub and one GuardedMock with bounded random pauses, governance actions, trips and waits, and keeps a
 * ghost model of what the pause rules in {ICordonHub} say is closed, written from the rules rather than the code.
 *
 * The model watches five items: scopes 0..3 (the only scopes the handler pauses) and the protocol-wide pause (item 4,
 * closed whenever the hub is not Active). Each item is closed by the model while it is:
 * - held: paused by governance, or in Recovery or Shutdown (item 4); only governance ends it;
 * - in the guardian episode: paused by a guardian or a trip, ending at `episodeEnd` = the episode's start plus the
 *   duration in force at its start (rules 1 and 2);
 * - in grace: a grace scope after a resume, ending at `graceEnd`.
 */
contract CordonHubHandler is Test {
    uint256 internal constant SCOPES = 4;
    uint256 internal constant ITEMS = 5;
    uint256 internal constant PROTOCOL = 1 << 4;
    uint256 internal constant ALL_SCOPES = (1 << SCOPES) - 1;
    uint16 internal constant REASON = Reasons.SECURITY_DRAIN;
    uint256 internal constant GRACE_SCOPES = 1 << 3;
    uint40 internal constant GRACE_PERIOD = 2 days;

    struct Ghost {
        uint256 held;
        uint256 inEpisode;
        uint256 episodeStart;
        uint256 episodeEnd;
        uint256 grace;
        uint256 graceEnd;
        uint256 duration;
        bool episodeByGuardian;
        bool shutdown;
        uint256 guardianPauses;
        uint256 trips;
        uint256 expirySettles;
        uint256 resumes;
    }

    CordonHub public immutable hub;
    GuardedMock public immutable mock;
    address public immutable governance;
    address[] internal guardians;

    Ghost internal g;

    constructor() {
        governance = address(0x60F);
        guardians.push(address(0x6A1));
        guardians.push(address(0x6A2));
        g.duration = 1 days;
        hub = new CordonHub(governance, guardians, uint40(g.duration), 12 hours);
        mock = new GuardedMock(address(hub));
        vm.startPrank(governance);
        hub.addProtected(address(mock));
        hub.setGrace(GRACE_SCOPES, GRACE_PERIOD);
        vm.stopPrank();
    }

    // ─────────────────────────────────────────── actions ───────────────────────────────────────────

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 0, 4 days));
    }

    /// @dev Lands on the last second of the running episode or grace period, or on its end: the edges random waits
    /// rarely hit.
    function warpToEdge(bool graceEdge, bool lastSecond) external {
        uint256 end = graceEdge ? g.graceEnd : g.episodeEnd;
        if (end == 0 || end <= block.timestamp) return;
        vm.warp(lastSecond ? end - 1 : end);
        _modelSettle();
    }

    function guardianPause(uint256 who, uint256 wait) external {
        _wait(wait);
        vm.prank(guardians[who % guardians.length]);
        try hub.pause(REASON) {
            ++g.guardianPauses;
            _modelGuardianPause(PROTOCOL, true);
        } catch {}
    }

    function guardianPauseScopes(uint256 who, uint256 scopes, uint256 wait) external {
        _wait(wait);
        scopes = bound(scopes, 1, ALL_SCOPES);
        vm.prank(guardians[who % guardians.length]);
        try hub.pauseScopes(scopes, REASON) {
            ++g.guardianPauses;
            _modelGuardianPause(scopes, true);
        } catch {}
    }

    /// @dev Sets the mock's invariant code (0 about half the time) and lets a stranger trip on it.
    function tripOnInvariant(uint256 code, uint256 wait) external {
        _wait(wait);
        mock.setInvariantCode(code % 2 == 0 ? 0 : code);
        vm.prank(address(0x5742));
        try hub.tripOnInvariant(address(mock)) {
            ++g.trips;
            _modelGuardianPause(PROTOCOL, false);
        } catch {}
    }

    function fixInvariant() external {
        mock.setInvariantCode(0);
    }

    function settleExpiry(uint256 wait) external {
        vm.warp(block.timestamp + bound(wait, 0, 1 days));
        bool expired = g.episodeEnd != 0 && block.timestamp >= g.episodeEnd;
        hub.settleExpiry();
        if (expired) ++g.expirySettles;
        _modelSettle();
    }

    function guardianCheckpoint(uint256 wait) external {
        _wait(wait);
        vm.prank(guardians[0]);
        hub.checkpoint(REASON);
    }

    function governancePause(uint256 scopes, bool protocolWide, uint256 wait) external {
        _wait(wait);
        scopes = bound(scopes, 1, ALL_SCOPES);
        vm.prank(governance);
        if (protocolWide) {
            try hub.pause(REASON) {
                _modelGovernancePause(PROTOCOL);
            } catch {}
        } else {
            try hub.pauseScopes(scopes, REASON) {
                _modelGovernancePause(scopes);
            } catch {}
        }
    }

    function governanceUnpause(uint256 wait) external {
        _wait(wait);
        vm.prank(governance);
        try hub.unpause(REASON) {
            g.held = 0;
            g.inEpisode = 0;
            g.grace = 0;
            _modelTidy();
        } catch {}
    }

    function governanceUnpauseScopes(uint256 scopes, uint256 wait) external {
        _wait(wait);
        scopes = bound(scopes, 1, ALL_SCOPES);
        vm.prank(governance);
        try hub.unpauseScopes(scopes, REASON) {
            g.held &= ~scopes;
            g.inEpisode &= ~scopes;
            g.grace &= ~scopes;
            _modelTidy();
        } catch {}
    }

    function governanceEnterRecovery(uint256 wait) external {
        _wait(wait);
        vm.prank(governance);
        try hub.enterRecovery(0, REASON) {
            _modelHoldEverything();
        } catch {}
    }

    /// @dev Takes a checkpoint right before, so the digest matches; fails (and changes nothing) while the invariant
    /// fails or outside Recovery.
    function governanceResume(uint256 wait) external {
        _wait(wait);
        vm.startPrank(governance);
        uint256 id = hub.checkpoint(REASON);
        try hub.resume(id, new ICordonHub.Attestation[](0), REASON) {
            ++g.resumes;
            g.held = 0;
            g.inEpisode = 0;
            g.grace = GRACE_SCOPES;
            g.graceEnd = block.timestamp + GRACE_PERIOD;
            _modelTidy();
        } catch {}
        vm.stopPrank();
    }

    /// @dev Rare on purpose: a shutdown ends the run's interesting part.
    function governanceShutdown(uint256 dice, uint256 wait) external {
        _wait(wait);
        if (dice % 8 != 0) return;
        vm.prank(governance);
        try hub.shutdown(REASON) {
            _modelHoldEverything();
            g.shutdown = true;
        } catch {}
    }

    function governanceLiftCooldown(uint256 wait) external {
        _wait(wait);
        vm.prank(governance);
        hub.liftCooldown();
        _modelSettle();
    }

    /// @dev A new duration applies to the next episode only: the running one keeps its end.
    function governanceSetPauseRules(uint256 duration, uint256 cooldown) external {
        duration = bound(duration, 1 hours, 3 days);
        vm.prank(governance);
        hub.setPauseRules(uint40(duration), uint40(bound(cooldown, hub.MIN_GUARDIAN_COOLDOWN(), 2 days)));
        g.duration = duration;
    }

    // ─────────────────────────────────────────── views ───────────────────────────────────────────

    function ghost() external view returns (Ghost memory) {
        return g;
    }

    /// @dev Items the model says are closed now (bit i: scope i, bit 4: protocol-wide).
    function modelClosed() public view returns (uint256 closed) {
        closed = g.held;
        if (block.timestamp < g.episodeEnd) closed |= g.inEpisode;
        if (block.timestamp < g.graceEnd) closed |= g.grace;
    }

    /// @dev Items the hub says are closed now, from its time-aware views.
    function hubClosed() public view returns (uint256 closed) {
        HubSync memory sync = hub.currentSync();
        closed = (sync.heldScopes | sync.expiringScopes | sync.graceScopes) & ALL_SCOPES;
        if (hub.state() != HubState.Active) closed |= PROTOCOL;
    }

    // ─────────────────────────────────────────── the model ───────────────────────────────────────────

    function _wait(uint256 wait) internal {
        vm.warp(block.timestamp + bound(wait, 0, 1 days));
        _modelSettle();
    }

    /// @dev Episodes and grace periods past their end are over.
    function _modelSettle() internal {
        if (g.episodeEnd != 0 && block.timestamp >= g.episodeEnd) {
            g.inEpisode = 0;
            g.episodeEnd = 0;
            g.episodeStart = 0;
            g.episodeByGuardian = false;
        }
        if (g.graceEnd != 0 && block.timestamp >= g.graceEnd) {
            g.grace = 0;
            g.graceEnd = 0;
        }
    }

    /// @dev Rules 1 and 2: what is not held joins the running episode, or starts one with the duration in force; the
    /// first guardian pause in an episode only trips were in gets its own full duration.
    function _modelGuardianPause(uint256 items, bool guardian) internal {
        uint256 joining = items & ~g.held;
        if (g.inEpisode == 0 && joining != 0) {
            g.episodeStart = block.timestamp;
            g.episodeEnd = block.timestamp + g.duration;
            g.episodeByGuardian = guardian;
        } else if (g.inEpisode != 0 && guardian && !g.episodeByGuardian) {
            if (block.timestamp + g.duration > g.episodeEnd) g.episodeEnd = block.timestamp + g.duration;
            g.episodeByGuardian = true;
        }
        g.inEpisode |= joining;
    }

    /// @dev Rule 1: governance pausing an item confirms it: held, with no end.
    function _modelGovernancePause(uint256 items) internal {
        g.held |= items;
        g.inEpisode &= ~items;
        g.grace &= ~items;
        _modelTidy();
    }

    /// @dev Recovery and Shutdown confirm everything paused and close the protocol.
    function _modelHoldEverything() internal {
        g.held |= g.inEpisode | g.grace | PROTOCOL;
        g.inEpisode = 0;
        g.grace = 0;
        _modelTidy();
    }

    /// @dev An episode or grace period with nothing left in it is over.
    function _modelTidy() internal {
        if (g.inEpisode == 0) {
            g.episodeEnd = 0;
            g.episodeStart = 0;
            g.episodeByGuardian = false;
        }
        if (g.grace == 0) g.graceEnd = 0;
    }
}

contract CordonHub_invariants is Test {
    CordonHubHandler internal handler;
    CordonHub internal hub;
    GuardedMock internal mock;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new CordonHubHandler();
        hub = handler.hub();
        mock = handler.mock();
        targetContract(address(handler));
    }

    /// @dev (a) Nobody but governance ends a pause early: whatever the model still has closed (held by governance,
    /// or in an episode or grace period not yet at its end) the hub has closed too.
    function invariant_NoPauseEndsEarlyWithoutGovernance() public view {
        uint256 model = handler.modelClosed();
        uint256 actual = handler.hubClosed();
        assertEq(model & ~actual, 0, "open in the hub before its time");
    }

    /// @dev (b) A guardian pause never lasts past its bound: whatever the hub has closed that governance does not
    /// hold is in the running episode (or grace period), and now is before its end, which is the episode's start plus
    /// the duration in force then.
    function invariant_GuardianPauseNeverOutlastsItsBound() public view {
        CordonHubHandler.Ghost memory g = handler.ghost();
        uint256 unheld = handler.hubClosed() & ~g.held;
        assertEq(unheld & ~handler.modelClosed(), 0, "closed in the hub past its end");
        if (hub.state() == HubState.Paused && g.held & (1 << 4) == 0) {
            assertTrue(g.episodeEnd != 0 && block.timestamp < g.episodeEnd, "a guardian pause past its bound");
        }
    }

    /// @dev (c) Shutdown is never left.
    function invariant_ShutdownIsNeverLeft() public view {
        if (handler.ghost().shutdown) {
            assertEq(uint256(hub.state()), uint256(HubState.Shutdown), "left Shutdown");
        }
    }

    /// @dev (d) The guarded contract's view agrees with the hub's at all times, pushed or not.
    function invariant_GuardedViewAgreesWithHub() public view {
        // Scope 200 is never paused by scope: it shows the protocol-wide state alone.
        uint8[6] memory scopes = [0, 1, 2, 3, 4, 200];
        for (uint256 i = 0; i < scopes.length; ++i) {
            assertEq(
                mock.isScopeOpen(scopes[i]) ? 1 : 0,
                hub.isScopePaused(scopes[i]) ? 0 : 1,
                "scope open in one, paused in the other"
            );
        }
        HubState state = hub.state();
        HubSync memory sync = hub.currentSync();
        (HubState stored, uint64 incidentId, uint64 pauseEpoch) = mock.cordonState();
        assertEq(incidentId, sync.incidentId, "incident");
        assertEq(pauseEpoch, sync.pauseEpoch, "pause epoch");
        if (stored == HubState.Paused && state == HubState.Active) {
            // A guardian pause that ended by itself: the guarded contract has not heard, but treats it as ended.
            assertTrue(mock.isScopeOpen(200), "an expired pause counts as ended");
        } else {
            assertEq(uint256(stored), uint256(state), "state");
        }
    }
}
