// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {ICordonHub} from "../../contracts/interfaces/ICordonHub.sol";
import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {HubState, HubSync, Reasons} from "../../contracts/libraries/CordonTypes.sol";
import {GuardedMock} from "../../contracts/mocks/GuardedMock.sol";
import {HeavyHookMock} from "../../contracts/mocks/HardeningMocks.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {Test} from "../utils/Test.sol";

/**
 * @dev Drives a hub, a GuardedMock (a TRIP limit in scope 1, a QUEUE limit in scope 2) and a contract with a heavy
 * pause hook with strangers' trips, guardian pauses at random gas, governance actions, queued outflows and claims,
 * and records every breach of the rules the hardening (issue 12) established:
 * - no account without a role moves the end of a guardian pause or starts a guardian cooldown;
 * - after any successful pause every protected contract reads the hub's state (or the pause reverted);
 * - queued funds are conserved and claimable by their owner once the incident closes, Shutdown included.
 */
contract HardeningHandler is Test {
    uint16 internal constant REASON = Reasons.SECURITY_DRAIN;
    uint256 internal constant CAPACITY = 100e18;

    CordonHub public immutable hub;
    GuardedMock public immutable mock;
    HeavyHookMock public immutable heavy;
    MockERC20 public immutable tripToken;
    MockERC20 public immutable queueToken;
    address public immutable governance = address(0x60F);
    address public immutable guardian = address(0x6A1);
    address public immutable stranger = address(0x5742);
    address public immutable user = address(0x05E4);

    uint256 public strangerMovedTheClock;
    uint256 public pauseLeftAContractBehind;
    uint256 public claimRefused;
    uint256 public minted;
    uint256 public paid;
    uint256 public pending;
    uint256 public cancelled;
    uint256[] internal _ids;

    constructor() {
        address[] memory guardians = new address[](1);
        guardians[0] = guardian;
        hub = new CordonHub(governance, guardians, 1 days, 12 hours);
        mock = new GuardedMock(address(hub));
        heavy = new HeavyHookMock(address(hub), 150_000);
        tripToken = new MockERC20("Trip", "TRP", 18);
        queueToken = new MockERC20("Queue", "QUE", 18);
        tripToken.mint(address(mock), 1e30);
        minted = 1e30;
        queueToken.mint(address(mock), minted);
        vm.startPrank(governance);
        hub.addProtected(address(mock));
        hub.addProtected(address(heavy));
        hub.setLimit(address(mock), address(tripToken), _params(1, OutflowLimit.Policy.Trip));
        hub.setLimit(address(mock), address(queueToken), _params(2, OutflowLimit.Policy.Queue));
        vm.stopPrank();
    }

    function _params(
        uint8 scope,
        OutflowLimit.Policy policy
    ) internal pure returns (ICordonGuarded.LimitParams memory) {
        return
            ICordonGuarded.LimitParams({
                scope: scope,
                capacity: CAPACITY,
                window: 1 days,
                largeThreshold: 0,
                policy: policy,
                inflowRefills: false,
                queueDelay: 1 hours
            });
    }

    // ── strangers ──

    /// @dev The guardians' clock as the hub shows it: their cooldown, and the end of an episode a guardian paused in.
    function _clock() internal view returns (uint40 cooldown, uint40 guardianEnd) {
        cooldown = hub.cooldownUntil();
        guardianEnd = hub.currentSync().expiry;
    }

    function strangerLimitTrip(uint256 amount, uint256 wait) external {
        _wait(wait);
        (uint40 cooldown, uint40 end) = _clock();
        bool guardianEpisode = _guardianEpisode();
        vm.prank(stranger);
        try mock.send(address(tripToken), stranger, CAPACITY + bound(amount, 1, CAPACITY)) {} catch {}
        _checkClock(cooldown, end, guardianEpisode);
    }

    function strangerInvariantTrip(uint256 wait) external {
        _wait(wait);
        (uint40 cooldown, uint40 end) = _clock();
        bool guardianEpisode = _guardianEpisode();
        mock.setInvariantCode(9);
        vm.prank(stranger);
        try hub.tripOnInvariant(address(mock)) {} catch {}
        mock.setInvariantCode(0);
        _checkClock(cooldown, end, guardianEpisode);
    }

    function strangerSettles(uint256 wait) external {
        _wait(wait);
        (uint40 cooldown, uint40 end) = _clock();
        bool guardianEpisode = _guardianEpisode();
        vm.prank(stranger);
        hub.settleExpiry();
        _checkClock(cooldown, end, guardianEpisode);
    }

    // ── guardians and governance ──

    function guardianPause(uint256 gas_, bool protocolWide, uint256 wait) external {
        _wait(wait);
        gas_ = bound(gas_, 50_000, 3_000_000);
        vm.prank(guardian);
        bool ok;
        if (protocolWide) {
            try hub.pause{gas: gas_}(REASON) {
                ok = true;
            } catch {}
        } else {
            try hub.pauseScopes{gas: gas_}(1 << 2, REASON) {
                ok = true;
            } catch {}
        }
        if (ok && !(_agrees(address(mock)) && _agrees(address(heavy)))) ++pauseLeftAContractBehind;
        if (ok) _guardianEnd = hub.currentSync().expiry;
    }

    function governanceUnpause(uint256 wait) external {
        _wait(wait);
        vm.prank(governance);
        try hub.unpause(REASON) {
            _guardianEnd = 0;
        } catch {}
    }

    function governanceRecoverAndResume(uint256 wait, bool resume) external {
        _wait(wait);
        vm.startPrank(governance);
        if (hub.state() != HubState.Recovery) {
            try hub.enterRecovery(0, REASON) {
                _guardianEnd = 0;
            } catch {}
        } else if (resume) {
            uint256 id = hub.sealExits(1 hours, REASON);
            try hub.resume(id, new ICordonHub.Attestation[](0), REASON) {} catch {}
        }
        vm.stopPrank();
    }

    function governanceCancel(uint256 which) external {
        if (_ids.length == 0) return;
        uint256 id = _ids[which % _ids.length];
        if (mock.queuedOutflow(id).status != ICordonGuarded.QueueStatus.Pending) return;
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(governance);
        hub.cancelQueued(address(mock), ids);
        if (mock.queuedOutflow(id).asset == address(queueToken)) {
            pending -= mock.queuedOutflow(id).amount;
            cancelled += mock.queuedOutflow(id).amount;
        }
    }

    function governanceShutdown(uint256 dice) external {
        if (dice % 16 != 0) return;
        vm.prank(governance);
        try hub.shutdown(REASON) {
            _guardianEnd = 0;
        } catch {}
    }

    // ── users ──

    function queueOutflow(uint256 amount, uint256 wait) external {
        _wait(wait);
        amount = CAPACITY + bound(amount, 1, CAPACITY);
        uint256 before = mock.queuedCount();
        vm.prank(user);
        // solhint-disable-next-line check-send-result
        try mock.send(address(queueToken), user, amount) returns (bool sent) {
            // solhint-disable-next-line reentrancy
            if (sent) paid += amount;
        } catch {}
        if (mock.queuedCount() > before) {
            // solhint-disable-next-line reentrancy
            _ids.push(mock.queuedCount());
            // solhint-disable-next-line reentrancy
            pending += amount;
        }
    }

    /// @dev Claims every released queued outflow of the user; one the rules say is claimable must pay.
    function claimAll(uint256 wait) external {
        _wait(wait);
        for (uint256 i = 0; i < _ids.length; ++i) {
            uint256 id = _ids[i];
            ICordonGuarded.QueuedOutflow memory q = mock.queuedOutflow(id);
            if (q.status != ICordonGuarded.QueueStatus.Pending || block.timestamp < q.releaseTime) continue;
            HubState state = hub.state();
            bool incidentOver = (state == HubState.Active && !hub.isScopePaused(2)) || state == HubState.Shutdown;
            try mock.claimQueued(id) {
                pending -= q.amount;
                paid += q.amount;
            } catch {
                if (incidentOver) ++claimRefused;
            }
        }
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 0, 2 days));
    }

    // ── helpers ──

    function _wait(uint256 wait) internal {
        vm.warp(block.timestamp + bound(wait, 0, 12 hours));
    }

    /// @dev Whether a guardian's episode runs now (its end and its cooldown are the guardians' clock).
    function _guardianEpisode() internal view returns (bool) {
        return _guardianEnd != 0 && block.timestamp < _guardianEnd;
    }

    /// @dev The end of the last guardian pause, until governance ends it (ghost: what the guardians were given).
    uint40 internal _guardianEnd;

    function _checkClock(uint40 cooldown, uint40 end, bool guardianEpisode) internal {
        (uint40 cooldownAfter, uint40 endAfter) = _clock();
        if (cooldownAfter != cooldown) ++strangerMovedTheClock;
        if (guardianEpisode && (endAfter != end || endAfter != _guardianEnd)) ++strangerMovedTheClock;
    }

    function _agrees(address target) internal view returns (bool) {
        HubSync memory sync = hub.currentSync();
        (HubState stored, uint64 incidentId, uint64 epoch) = GuardedMock(target).cordonState();
        return stored == sync.state && incidentId == sync.incidentId && epoch == sync.pauseEpoch;
    }
}

contract CordonHub_hardeningInvariants is Test {
    HardeningHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new HardeningHandler();
        targetContract(address(handler));
    }

    /// @dev No account without a role moves the end of a guardian pause or starts a guardian cooldown.
    function invariant_StrangersNeverMoveTheGuardianClock() public view {
        assertEq(handler.strangerMovedTheClock(), 0, "a stranger moved the guardian clock");
    }

    /// @dev After any successful pause every protected contract reads the hub's state (or the pause reverted).
    function invariant_ASuccessfulPauseReachesEveryContract() public view {
        assertEq(handler.pauseLeftAContractBehind(), 0, "a pause succeeded without reaching a contract");
    }

    /// @dev Queued funds are conserved and claimable by their owner once the incident closes, Shutdown included.
    function invariant_QueuedFundsConservedAndClaimable() public view {
        GuardedMock mock = handler.mock();
        address token = address(handler.queueToken());
        assertEq(mock.queuedOutstanding(token), handler.pending(), "queued outstanding = pending");
        assertEq(
            handler.queueToken().balanceOf(address(mock)) + handler.paid(),
            handler.minted(),
            "nothing leaves but what was paid"
        );
        assertGe(handler.queueToken().balanceOf(address(mock)), handler.pending(), "pending funds are held");
        assertEq(handler.claimRefused(), 0, "a claim refused once the incident was over");
    }
}
