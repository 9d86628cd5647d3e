// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {CordonHub} from "../../contracts/hub/CordonHub.sol";
import {ICordonGuarded} from "../../contracts/interfaces/ICordonGuarded.sol";
import {OutflowLimit} from "../../contracts/limits/OutflowLimit.sol";
import {HubState, Reasons} from "../../contracts/libraries/CordonTypes.sol";
import {MockERC20} from "../../contracts/mocks/MockERC20.sol";
import {CordonVault} from "../../contracts/sample/CordonVault.sol";
import {Test} from "../utils/Test.sol";

/// @dev A CordonVault behind a hub, with a withdrawal limit of 10,000 tokens a day (no inflow refills).
abstract contract CordonVaultSetup is Test {
    uint256 internal constant CAPACITY = 10_000e18;
    uint256 internal constant WINDOW = 1 days;
    uint32 internal constant QUEUE_DELAY = 6 hours;
    uint16 internal constant REASON = Reasons.SECURITY_DRAIN;

    address internal constant GOVERNANCE = address(0x60F);
    address internal constant GUARDIAN = address(0x6A1);

    function _deploy(
        OutflowLimit.Policy policy,
        uint256 largeThreshold,
        address flawSwitch
    ) internal returns (MockERC20 token, CordonHub hub, CordonVault vault) {
        token = new MockERC20("USD Coin", "USDC", 18);
        address[] memory guardians = new address[](1);
        guardians[0] = GUARDIAN;
        hub = new CordonHub(GOVERNANCE, guardians, 1 days, 6 hours);
        vault = new CordonVault(IERC20(address(token)), "Cordon USDC Vault", "cvUSDC", address(hub), flawSwitch);
        vm.startPrank(GOVERNANCE);
        hub.addProtected(address(vault));
        hub.setLimit(
            address(vault),
            address(token),
            ICordonGuarded.LimitParams({
                scope: vault.SCOPE_WITHDRAW(),
                capacity: CAPACITY,
                window: WINDOW,
                largeThreshold: largeThreshold,
                policy: policy,
                inflowRefills: false,
                queueDelay: QUEUE_DELAY
            })
        );
        vm.stopPrank();
    }

    /// @dev Over every interval [times[i], times[j]], the amounts paid never exceed capacity + refill.
    function _assertWithinLimit(uint256[] memory times, uint256[] memory amounts) internal pure {
        for (uint256 i = 0; i < times.length; ++i) {
            uint256 total = 0;
            for (uint256 j = i; j < times.length; ++j) {
                total += amounts[j];
                assertLe(total, CAPACITY + ((times[j] - times[i]) * CAPACITY) / WINDOW, "paid over the limit");
            }
        }
    }
}

/// @dev Deposits, withdrawals (some over the limit, so queued), claims, governance cancels and re-approvals, pauses.
contract CordonVaultHandler is CordonVaultSetup {
    MockERC20 public immutable token;
    CordonHub public immutable hub;
    CordonVault public immutable vault;
    address[] internal actors;

    /// @dev Outflows paid at once by withdraw, redeem and exitRedeem (not queued ones, not claims).
    uint256[] internal payTimes;
    uint256[] internal payAmounts;

    uint256 public ghostQueued;
    uint256 public ghostClaimed;
    uint256 public ghostCancelled;
    uint256 public queuedCalls;
    uint256 public claims;
    uint256 public cancels;
    uint256 public approvals;

    constructor(OutflowLimit.Policy policy) {
        (token, hub, vault) = _deploy(policy, 6_000e18, address(0));
        actors.push(address(0xA11CE));
        actors.push(address(0xB0B));
        actors.push(address(0xCA7));
        for (uint256 i = 0; i < actors.length; ++i) {
            token.mint(actors[i], 50_000e18);
            vm.startPrank(actors[i]);
            token.approve(address(vault), type(uint256).max);
            vault.deposit(20_000e18, actors[i]);
            vm.stopPrank();
        }
    }

    // ─────────────────────────────────────────── actions ───────────────────────────────────────────

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 0, 2 days));
    }

    function deposit(uint256 who, uint256 amount, uint256 wait) external {
        _wait(wait);
        address actor = _actor(who);
        amount = bound(amount, 1, 20_000e18);
        token.mint(actor, amount);
        vm.prank(actor);
        try vault.deposit(amount, actor) {} catch {}
    }

    function withdraw(uint256 who, uint256 amount, uint256 wait) external {
        _wait(wait);
        address actor = _actor(who);
        uint256 max = vault.previewRedeem(vault.balanceOf(actor));
        if (max == 0) return;
        amount = bound(amount, 1, max);
        (uint256 count, uint256 balance) = (vault.queuedCount(), token.balanceOf(actor));
        vm.prank(actor);
        try vault.withdraw(amount, actor, actor) {
            _record(actor, count, balance);
        } catch {}
    }

    function redeem(uint256 who, uint256 shares, uint256 wait) external {
        _wait(wait);
        address actor = _actor(who);
        uint256 max = vault.balanceOf(actor);
        if (max == 0) return;
        shares = bound(shares, 1, max);
        (uint256 count, uint256 balance) = (vault.queuedCount(), token.balanceOf(actor));
        vm.prank(actor);
        try vault.redeem(shares, actor, actor) {
            _record(actor, count, balance);
        } catch {}
    }

    function exitRedeem(uint256 who, uint256 shares, uint256 wait) external {
        _wait(wait);
        address actor = _actor(who);
        uint256 max = vault.balanceOf(actor);
        if (max == 0) return;
        shares = bound(shares, 1, max);
        (uint256 count, uint256 balance) = (vault.queuedCount(), token.balanceOf(actor));
        vm.prank(actor);
        try vault.exitRedeem(shares, actor) {
            _record(actor, count, balance);
        } catch {}
    }

    function claim(uint256 id, uint256 wait) external {
        _wait(wait);
        uint256 count = vault.queuedCount();
        if (count == 0) return;
        id = bound(id, 1, count);
        try vault.claimQueued(id) {
            ++claims;
            ghostClaimed += vault.queuedOutflow(id).amount;
        } catch {}
    }

    function cancel(uint256 id) external {
        uint256 count = vault.queuedCount();
        if (count == 0) return;
        uint256[] memory ids = new uint256[](1);
        ids[0] = bound(id, 1, count);
        vm.prank(GOVERNANCE);
        try hub.cancelQueued(address(vault), ids) {
            ++cancels;
            ghostCancelled += vault.queuedOutflow(ids[0]).amount;
        } catch {}
    }

    function approve(uint256 id) external {
        uint256 count = vault.queuedCount();
        if (count == 0) return;
        uint256[] memory ids = new uint256[](1);
        ids[0] = bound(id, 1, count);
        vm.prank(GOVERNANCE);
        try hub.approveQueued(address(vault), ids) {
            ++approvals;
        } catch {}
    }

    function guardianPause(uint256 kind, uint256 wait) external {
        _wait(wait);
        vm.prank(GUARDIAN);
        kind %= 3;
        if (kind == 0) {
            try hub.pause(REASON) {} catch {}
        } else {
            try hub.pauseScopes(1 << (kind - 1), REASON) {} catch {}
        }
    }

    function governanceUnpause(uint256 wait) external {
        _wait(wait);
        vm.prank(GOVERNANCE);
        try hub.unpause(REASON) {} catch {}
    }

    /// @dev A donation changes the balance only; the books and every invariant must still hold.
    function donate(uint256 amount) external {
        token.mint(address(vault), bound(amount, 0, 1_000e18));
    }

    // ─────────────────────────────────────────── views ───────────────────────────────────────────

    function payouts() external view returns (uint256[] memory, uint256[] memory) {
        return (payTimes, payAmounts);
    }

    /// @dev Sums over the vault's queue: everything queued, and by status.
    function queueTotals() external view returns (uint256 queued, uint256 pending, uint256 claimed, uint256 cancelled) {
        uint256 count = vault.queuedCount();
        for (uint256 id = 1; id <= count; ++id) {
            ICordonGuarded.QueuedOutflow memory q = vault.queuedOutflow(id);
            queued += q.amount;
            if (q.status == ICordonGuarded.QueueStatus.Pending) pending += q.amount;
            else if (q.status == ICordonGuarded.QueueStatus.Claimed) claimed += q.amount;
            else if (q.status == ICordonGuarded.QueueStatus.Cancelled) cancelled += q.amount;
        }
    }

    // ─────────────────────────────────────────── internals ───────────────────────────────────────────

    function _actor(uint256 who) internal view returns (address) {
        return actors[who % actors.length];
    }

    function _wait(uint256 wait) internal {
        vm.warp(block.timestamp + bound(wait, 0, 12 hours));
    }

    /// @dev Records what a successful outflow call did: queued (a new queue entry) or paid (the receiver's balance).
    function _record(address receiver, uint256 countBefore, uint256 balanceBefore) internal {
        uint256 count = vault.queuedCount();
        for (uint256 id = countBefore + 1; id <= count; ++id) {
            ++queuedCalls;
            ghostQueued += vault.queuedOutflow(id).amount;
        }
        uint256 paid = token.balanceOf(receiver) - balanceBefore;
        if (paid != 0) {
            payTimes.push(block.timestamp);
            payAmounts.push(paid);
        }
    }
}

abstract contract CordonVault_invariants is CordonVaultSetup {
    CordonVaultHandler internal handler;
    MockERC20 internal token;
    CordonVault internal vault;

    function _policy() internal pure virtual returns (OutflowLimit.Policy);

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new CordonVaultHandler(_policy());
        token = handler.token();
        vault = handler.vault();
        targetContract(address(handler));
    }

    /// @dev Every queued outflow is claimed, cancelled or still outstanding, and the vault's books agree.
    function invariant_QueuedIsClaimedPlusCancelledPlusOutstanding() public view {
        (uint256 queued, uint256 pending, uint256 claimed, uint256 cancelled) = handler.queueTotals();
        assertEq(queued, claimed + cancelled + pending, "queued = claimed + cancelled + pending");
        assertEq(pending, vault.queuedOutstanding(address(token)), "pending = queuedOutstanding");
        assertEq(queued, handler.ghostQueued(), "queued, as seen by the handler");
        assertEq(claimed, handler.ghostClaimed(), "claimed, as seen by the handler");
        assertEq(cancelled, handler.ghostCancelled(), "cancelled, as seen by the handler");
    }

    /// @dev With the flaw off the vault always holds its books plus the queued outflows.
    function invariant_BalanceCoversBooksAndQueue() public view {
        uint256 balance = token.balanceOf(address(vault));
        assertGe(balance, vault.totalAssets() + vault.queuedOutstanding(address(token)), "assets missing");
        assertEq(vault.checkInvariants(), 0, "the vault's own check agrees");
    }

    /// @dev What withdrawals pay at once never exceeds capacity + refill over any window.
    function invariant_PaidOutflowsWithinLimit() public view {
        (uint256[] memory times, uint256[] memory amounts) = handler.payouts();
        _assertWithinLimit(times, amounts);
    }
}

contract CordonVault_invariantsQueue is CordonVault_invariants {
    function _policy() internal pure override returns (OutflowLimit.Policy) {
        return OutflowLimit.Policy.Queue;
    }
}

contract CordonVault_invariantsTrip is CordonVault_invariants {
    function _policy() internal pure override returns (OutflowLimit.Policy) {
        return OutflowLimit.Policy.Trip;
    }
}

/// @dev The deliberate flaw: redeems that forget to debit the books let an attacker redeem for more than their shares
/// are worth, again and again.
contract CordonVault_flaw is CordonVaultSetup {
    MockERC20 internal token;
    CordonHub internal hub;
    CordonVault internal vault;
    address internal attacker = address(0xBAD);

    function setUp() public {
        vm.warp(1_700_000_000);
        (token, hub, vault) = _deploy(OutflowLimit.Policy.Queue, 0, address(this));
        token.mint(address(0xA11CE), 100_000e18);
        vm.startPrank(address(0xA11CE));
        token.approve(address(vault), type(uint256).max);
        vault.deposit(100_000e18, address(0xA11CE));
        vm.stopPrank();
        token.mint(attacker, 50_000e18);
        vm.prank(attacker);
        token.approve(address(vault), type(uint256).max);
        vault.setFlawed(true);
    }

    /// @dev Whatever the attacker redeems, and however they space it, no more than capacity + refill is paid, and
    /// anyone can trip the breaker on the broken books afterwards.
    function testFuzz_FlawedRedeemsAreHeldToTheLimit(
        uint256 stake,
        uint256[6] memory steps,
        bool trip,
        address tripper
    ) public {
        vm.assume(tripper != address(vm));
        stake = bound(stake, 1e18, 50_000e18);
        vm.prank(attacker);
        vault.deposit(stake, attacker);
        if (trip) {
            // The same run under the TRIP policy: the first breach pauses withdrawals.
            (ICordonGuarded.LimitParams memory params, , ) = vault.outflowLimit(address(token));
            params.policy = OutflowLimit.Policy.Trip;
            vm.prank(GOVERNANCE);
            hub.setLimit(address(vault), address(token), params);
        }

        uint256[] memory times = new uint256[](steps.length);
        uint256[] memory amounts = new uint256[](steps.length);
        uint256 n = 0;
        for (uint256 i = 0; i < steps.length; ++i) {
            vm.warp(block.timestamp + ((steps[i] & 0xffffffff) % (WINDOW / 2 + 1)));
            uint256 shares = vault.balanceOf(attacker);
            if (shares == 0) break;
            shares = bound(steps[i] >> 128, 1, shares);
            uint256 before = token.balanceOf(attacker);
            vm.prank(attacker);
            try vault.redeem(shares, attacker, attacker) {
                uint256 paid = token.balanceOf(attacker) - before;
                if (paid != 0) (times[n], amounts[n]) = (block.timestamp, paid);
                if (paid != 0) ++n;
            } catch {}
        }
        assembly ("memory-safe") {
            mstore(times, n)
            mstore(amounts, n)
        }
        _assertWithinLimit(times, amounts);

        assertEq(vault.checkInvariants(), vault.INVARIANT_ASSETS_MISSING(), "the broken books show");
        vm.prank(tripper);
        hub.tripOnInvariant(address(vault));
        assertEq(uint256(hub.state()), uint256(HubState.Paused), "tripped");
        assertFalse(vault.isScopeOpen(vault.SCOPE_WITHDRAW()), "withdrawals closed");
        assertEq(vault.maxRedeem(attacker), 0, "nothing more to redeem");
    }
}
