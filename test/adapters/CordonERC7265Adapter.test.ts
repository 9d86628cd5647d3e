import { expect } from "chai";
import { network } from "hardhat";

import { getAccounts } from "../helpers/accounts.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const Policy = { Revert: 0, Queue: 1, Trip: 2 } as const;
const QueueStatus = { None: 0n, Pending: 1n, Claimed: 2n, Cancelled: 3n } as const;
const Reason = { SECURITY_DRAIN: 0x0101 } as const;
const HOUR = 3_600;
const DAY = 86_400;
const E18 = 10n ** 18n;
const MAX_UINT = ethers.MaxUint256;
const NATIVE = "0x0000000000000000000000000000000000000001";
const TOKEN_SCOPE = 3;
const NATIVE_SCOPE = 4;
const TOKEN_CAPACITY = 1_000n * E18;
const NATIVE_CAPACITY = 5n * E18;

const tokenLimit = {
  scope: TOKEN_SCOPE,
  capacity: TOKEN_CAPACITY,
  window: DAY,
  largeThreshold: 0n,
  policy: Policy.Queue as number,
  inflowRefills: false,
  queueDelay: HOUR,
};

async function deployAdapter() {
  const { governance, guardian, alice, bob, stranger } = await getAccounts(ethers);
  const token = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
  const hub = await ethers.deployContract("CordonHub", [governance.address, [guardian.address], 3 * DAY, DAY]);
  const adapter = await ethers.deployContract("CordonERC7265Adapter", [await hub.getAddress()]);
  const protocol = await ethers.deployContract("ERC7265Protocol", [await adapter.getAddress()]);
  await hub.addProtected(await adapter.getAddress());
  await hub.setLimit(await adapter.getAddress(), await token.getAddress(), tokenLimit);
  await hub.setLimit(await adapter.getAddress(), NATIVE, {
    ...tokenLimit,
    scope: NATIVE_SCOPE,
    capacity: NATIVE_CAPACITY,
  });
  await adapter.setProtectedCaller(await protocol.getAddress(), true);
  await token.mint(alice.address, 10_000n * E18);
  await token.connect(alice).approve(await protocol.getAddress(), MAX_UINT);
  await protocol.connect(alice).deposit(await token.getAddress(), 5_000n * E18);
  await protocol.connect(alice).depositNative({ value: 20n * E18 });
  return { governance, guardian, alice, bob, stranger, token, hub, adapter, protocol };
}

/** Deploys with a token limit other than the default one. */
function withTokenLimit(overrides: Partial<typeof tokenLimit>) {
  return async function deployAdapterWithLimit() {
    const ctx = await deployAdapter();
    await ctx.hub.setLimit(await ctx.adapter.getAddress(), await ctx.token.getAddress(), {
      ...tokenLimit,
      ...overrides,
    });
    return ctx;
  };
}
// 500 is half the capacity: 1024/2048ths, kept exactly (thresholds are rounded down to 1/2048ths of capacity).
const deployWithLargeThreshold = withTokenLimit({ largeThreshold: 500n * E18 });
const deployWithRevertPolicy = withTokenLimit({ policy: Policy.Revert });

describe("CordonERC7265Adapter", function () {
  describe("outflows", function () {
    it("pays an outflow within the limit to its recipient", async function () {
      const { alice, bob, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const tx = protocol.connect(alice).withdraw(await token.getAddress(), 400n * E18, bob.address, false);
      await expect(tx).to.changeTokenBalance(ethers, token, bob, 400n * E18);
      await expect(tx)
        .to.emit(adapter, "AssetWithdraw")
        .withArgs(await token.getAddress(), bob.address, 400n * E18);
      await expect(tx).to.not.emit(adapter, "OutflowQueued");
      expect(await token.balanceOf(await adapter.getAddress())).to.equal(0n);
      expect(await adapter.lockedFunds(bob.address, await token.getAddress())).to.equal(0n);
    });

    it("books a 4-argument outflow as an outflow: used grows and the rest of the capacity is what is left", async function () {
      // Regression: the ERC-7265 library's 4-argument onTokenOutflow booked outflows as inflows.
      const { alice, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      await protocol.connect(alice).withdraw(await token.getAddress(), 400n * E18, alice.address, false);
      // Views run at the latest block, the one of the withdrawal: no refill has happened yet.
      const [, used, available] = await adapter.outflowLimit(await token.getAddress());
      expect(used).to.equal(400n * E18);
      expect(available).to.equal(TOKEN_CAPACITY - 400n * E18);

      await protocol.connect(alice).withdraw(await token.getAddress(), 500n * E18, alice.address, false);
      // 900 used (minus a second of refill): another 400 no longer fits and is locked, not paid.
      const third = protocol.connect(alice).withdraw(await token.getAddress(), 400n * E18, alice.address, false);
      await expect(third).to.emit(adapter, "OutflowQueued");
      await expect(third).to.changeTokenBalance(ethers, token, alice, 0n);
    });

    it("locks an outflow over the limit under the QUEUE policy and pays it after the queue delay", async function () {
      const { alice, bob, stranger, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const amount = 1_200n * E18; // above the capacity: it can only be queued
      await time.setNextBlockTimestamp((await time.latest()) + 10);
      const queuedAt = (await time.latest()) + 10;
      const tx = protocol.connect(alice).withdraw(await token.getAddress(), amount, bob.address, false);
      await expect(tx)
        .to.emit(adapter, "OutflowQueued")
        .withArgs(1n, await token.getAddress(), bob.address, amount, queuedAt + HOUR, false);
      await expect(tx)
        .to.emit(adapter, "AssetWithdraw")
        .withArgs(await token.getAddress(), bob.address, amount);
      expect(await token.balanceOf(bob.address)).to.equal(0n);
      expect(await token.balanceOf(await adapter.getAddress())).to.equal(amount);
      expect(await adapter.lockedFunds(bob.address, await token.getAddress())).to.equal(amount);
      expect(await adapter.queuedOutstanding(await token.getAddress())).to.equal(amount);
      // The limit was not drawn on: a queued outflow books nothing.
      const [, used] = await adapter.outflowLimit(await token.getAddress());
      expect(used).to.equal(0n);

      // Before the delay a claim pays nothing and keeps the funds locked.
      const early = adapter.connect(stranger).claimLockedFunds(await token.getAddress(), bob.address);
      await expect(early)
        .to.emit(adapter, "LockedFundsClaimed")
        .withArgs(await token.getAddress(), bob.address);
      await expect(early).to.changeTokenBalance(ethers, token, bob, 0n);
      expect(await adapter.lockedFunds(bob.address, await token.getAddress())).to.equal(amount);
      await expect(adapter.claimQueued(1n))
        .to.be.revertedWithCustomError(adapter, "CordonQueuedNotReady")
        .withArgs(1n, queuedAt + HOUR);

      await time.increaseTo(queuedAt + HOUR);
      const claim = adapter.connect(stranger).claimLockedFunds(await token.getAddress(), bob.address);
      await expect(claim).to.changeTokenBalance(ethers, token, bob, amount);
      await expect(claim).to.emit(adapter, "QueuedOutflowClaimed").withArgs(1n, bob.address, amount);
      expect(await adapter.lockedFunds(bob.address, await token.getAddress())).to.equal(0n);
      expect(await adapter.queuedOutstanding(await token.getAddress())).to.equal(0n);
      expect((await adapter.queuedOutflow(1n)).status).to.equal(QueueStatus.Claimed);
      // A second claim finds nothing left.
      await expect(adapter.claimLockedFunds(await token.getAddress(), bob.address)).to.changeTokenBalance(
        ethers,
        token,
        bob,
        0n,
      );
    });

    it("claims only the recipient's outflows of the named asset", async function () {
      const { alice, bob, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      await protocol.connect(alice).withdraw(await token.getAddress(), 1_100n * E18, bob.address, false); // id 1
      await protocol.connect(alice).withdrawNative(6n * E18, bob.address, false); // id 2
      await protocol.connect(alice).withdraw(await token.getAddress(), 1_100n * E18, alice.address, false); // id 3
      await time.increase(HOUR);
      await expect(adapter.claimLockedFunds(await token.getAddress(), bob.address)).to.changeTokenBalance(
        ethers,
        token,
        bob,
        1_100n * E18,
      );
      expect(await adapter.lockedFunds(bob.address, NATIVE)).to.equal(6n * E18);
      expect(await adapter.lockedFunds(alice.address, await token.getAddress())).to.equal(1_100n * E18);
      expect((await adapter.queuedOutflow(3n)).status).to.equal(QueueStatus.Pending);
    });

    it("reverts CordonOutflowLimited with the exact amount available and wait when revertOnRateLimit is set", async function () {
      const { alice, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const tokenAddress = await token.getAddress();
      await protocol.connect(alice).withdraw(tokenAddress, 800n * E18, alice.address, false);
      const at = (await time.latest()) + HOUR;
      await time.setNextBlockTimestamp(at);
      // The pending block has the timestamp the withdrawal will be mined at.
      const [, , available] = await adapter.outflowLimit(tokenAddress, { blockTag: "pending" });
      const wait = await adapter.outflowWait(tokenAddress, 400n * E18, { blockTag: "pending" });
      expect(available).to.be.lessThan(400n * E18);
      expect(wait).to.be.greaterThan(0n);
      await expect(protocol.connect(alice).withdraw(tokenAddress, 400n * E18, alice.address, true))
        .to.be.revertedWithCustomError(adapter, "CordonOutflowLimited")
        .withArgs(tokenAddress, 400n * E18, available, wait);
      // Above the capacity the wait is forever.
      await expect(protocol.connect(alice).withdraw(tokenAddress, 2_000n * E18, alice.address, true))
        .to.be.revertedWithCustomError(adapter, "CordonOutflowLimited")
        .withArgs(tokenAddress, 2_000n * E18, (v: bigint) => v <= TOKEN_CAPACITY, MAX_UINT);
      // The same withdrawal without the flag is locked instead.
      await expect(protocol.connect(alice).withdraw(tokenAddress, 400n * E18, alice.address, false)).to.emit(
        adapter,
        "OutflowQueued",
      );
    });

    it("with revertOnRateLimit, a transfer above the large threshold reverts even with room", async function () {
      const { alice, token, adapter, protocol } = await networkHelpers.loadFixture(deployWithLargeThreshold);
      const tokenAddress = await token.getAddress();
      expect((await adapter.outflowLimit(tokenAddress)).params.largeThreshold).to.equal(500n * E18);
      await expect(protocol.connect(alice).withdraw(tokenAddress, 501n * E18, alice.address, true))
        .to.be.revertedWithCustomError(adapter, "CordonOutflowLimited")
        .withArgs(tokenAddress, 501n * E18, TOKEN_CAPACITY, MAX_UINT);
      await expect(protocol.connect(alice).withdraw(tokenAddress, 501n * E18, alice.address, false)).to.emit(
        adapter,
        "OutflowQueued",
      );
      await expect(
        protocol.connect(alice).withdraw(tokenAddress, 500n * E18, alice.address, true),
      ).to.changeTokenBalance(ethers, token, alice, 500n * E18);
    });

    it("under the REVERT policy, a breach reverts whatever the caller's flag", async function () {
      const { alice, token, adapter, protocol } = await networkHelpers.loadFixture(deployWithRevertPolicy);
      const tokenAddress = await token.getAddress();
      await expect(protocol.connect(alice).withdraw(tokenAddress, 1_001n * E18, alice.address, false))
        .to.be.revertedWithCustomError(adapter, "CordonOutflowLimited")
        .withArgs(tokenAddress, 1_001n * E18, TOKEN_CAPACITY, MAX_UINT);
    });

    it("settles the native asset (address(1)): paid within the limit, locked and claimable beyond it", async function () {
      const { alice, bob, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const paid = protocol.connect(alice).withdrawNative(2n * E18, bob.address, false);
      await expect(paid).to.changeEtherBalances(ethers, [bob, protocol, adapter], [2n * E18, -2n * E18, 0n]);
      await expect(paid)
        .to.emit(adapter, "AssetWithdraw")
        .withArgs(NATIVE, bob.address, 2n * E18);
      const [, used] = await adapter.outflowLimit(NATIVE);
      expect(used).to.equal(2n * E18);

      const locked = protocol.connect(alice).withdrawNative(4n * E18, bob.address, false);
      await expect(locked).to.changeEtherBalances(ethers, [bob, adapter], [0n, 4n * E18]);
      await expect(locked).to.emit(adapter, "OutflowQueued");
      expect(await adapter.lockedFunds(bob.address, NATIVE)).to.equal(4n * E18);
      await expect(protocol.connect(alice).withdrawNative(4n * E18, bob.address, true))
        .to.be.revertedWithCustomError(adapter, "CordonOutflowLimited")
        .withArgs(
          NATIVE,
          4n * E18,
          (v: bigint) => v < 4n * E18,
          (v: bigint) => v > 0n && v < MAX_UINT,
        );

      await time.increase(HOUR);
      await expect(adapter.claimLockedFunds(NATIVE, bob.address)).to.changeEtherBalances(
        ethers,
        [bob, adapter],
        [4n * E18, -4n * E18],
      );
      expect(await adapter.lockedFunds(bob.address, NATIVE)).to.equal(0n);
    });

    it("records native inflows through onNativeAssetInflow", async function () {
      const { alice, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      await expect(protocol.connect(alice).depositNative({ value: E18 }))
        .to.emit(adapter, "AssetInflow")
        .withArgs(NATIVE, E18);
    });

    it("gives capacity back on inflows only when the limit says so", async function () {
      const { governance, alice, token, hub, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const tokenAddress = await token.getAddress();
      await protocol.connect(alice).withdraw(tokenAddress, 1_000n * E18, alice.address, false);
      await expect(protocol.connect(alice).deposit(tokenAddress, 600n * E18))
        .to.emit(adapter, "AssetInflow")
        .withArgs(tokenAddress, 600n * E18);
      let [, used] = await adapter.outflowLimit(tokenAddress);
      expect(used).to.be.greaterThan(990n * E18); // only a few seconds of refill

      await hub.connect(governance).setLimit(await adapter.getAddress(), tokenAddress, {
        ...tokenLimit,
        inflowRefills: true,
      });
      await protocol.connect(alice).deposit(tokenAddress, 600n * E18);
      [, used] = await adapter.outflowLimit(tokenAddress);
      expect(used).to.be.lessThan(400n * E18);
      await expect(
        protocol.connect(alice).withdraw(tokenAddress, 600n * E18, alice.address, true),
      ).to.changeTokenBalance(ethers, token, alice, 600n * E18);
    });
  });

  describe("pauses and governance", function () {
    it("a pause of its scope after an outflow was locked voids it until the pause ends", async function () {
      const { governance, guardian, alice, token, hub, adapter, protocol } =
        await networkHelpers.loadFixture(deployAdapter);
      const tokenAddress = await token.getAddress();
      await protocol.connect(alice).withdraw(tokenAddress, 1_100n * E18, alice.address, false);
      // A guardian pauses the token's scope: the pause voids the locked outflow while it lasts.
      await hub.connect(guardian).pauseScopes(1n << BigInt(TOKEN_SCOPE), Reason.SECURITY_DRAIN);
      await time.increase(HOUR);
      await expect(adapter.claimLockedFunds(tokenAddress, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        0n,
      );
      expect(await adapter.lockedFunds(alice.address, tokenAddress)).to.equal(1_100n * E18);
      const { pauseEpoch } = await adapter.queuedOutflow(1n);
      const [, , currentEpoch] = await adapter.cordonState();
      await expect(adapter.claimQueued(1n))
        .to.be.revertedWithCustomError(adapter, "CordonQueuedVoided")
        .withArgs(1n, pauseEpoch, currentEpoch);

      await hub.connect(governance).approveQueued(await adapter.getAddress(), [1n]);
      await time.increase(3 * DAY); // the guardian pause ends: the exit path reopens
      await expect(adapter.claimLockedFunds(tokenAddress, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        1_100n * E18,
      );
      expect(await adapter.lockedFunds(alice.address, tokenAddress)).to.equal(0n);
    });

    it("an outflow in a paused scope reverts CordonScopeClosed and pays nothing", async function () {
      const { guardian, alice, token, hub, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      await hub.connect(guardian).pauseScopes(1n << BigInt(TOKEN_SCOPE), Reason.SECURITY_DRAIN);
      await expect(protocol.connect(alice).withdraw(await token.getAddress(), E18, alice.address, false))
        .to.be.revertedWithCustomError(adapter, "CordonScopeClosed")
        .withArgs(TOKEN_SCOPE, 0n, await hub.incidentId());
      // The native asset's scope is open.
      await expect(protocol.connect(alice).withdrawNative(E18, alice.address, false)).to.changeEtherBalance(
        ethers,
        alice,
        E18,
      );
    });

    it("a cancelled locked outflow goes back to the protocol that reported it, not into limbo", async function () {
      const { governance, alice, token, hub, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const tokenAddress = await token.getAddress();
      await protocol.connect(alice).withdraw(tokenAddress, 1_100n * E18, alice.address, false);
      await protocol.connect(alice).withdrawNative(6n * E18, alice.address, false);
      const cancel = hub.connect(governance).cancelQueued(await adapter.getAddress(), [1n, 2n]);
      await expect(cancel)
        .to.emit(adapter, "QueuedOutflowCancelled")
        .withArgs(1n, 1_100n * E18);
      await expect(cancel)
        .to.emit(adapter, "QueuedOutflowCancelled")
        .withArgs(2n, 6n * E18);
      await expect(cancel).to.changeTokenBalances(ethers, token, [adapter, protocol], [-1_100n * E18, 1_100n * E18]);
      await expect(cancel).to.changeEtherBalances(ethers, [adapter, protocol], [-6n * E18, 6n * E18]);
      expect(await adapter.lockedFunds(alice.address, tokenAddress)).to.equal(0n);
      expect(await adapter.lockedFunds(alice.address, NATIVE)).to.equal(0n);
      expect(await adapter.queuedOutstanding(tokenAddress)).to.equal(0n);
      await expect(adapter.claimQueued(1n))
        .to.be.revertedWithCustomError(adapter, "CordonQueuedNotPending")
        .withArgs(1n, QueueStatus.Cancelled);
      // The invariant still holds, so governance can use the hub normally.
      expect(await adapter.checkInvariants()).to.equal(0n);
    });

    it("as a protected contract of the hub, its invariants hold: nobody can trip on it and governance can unpause", async function () {
      // Regression: the adapter did not implement ICordonCheckpointed, so the hub read its invariant check as
      // failing (a revert): anyone could trip the breaker at any time, and governance could never unpause or resume.
      const { governance, stranger, alice, token, hub, adapter, protocol } =
        await networkHelpers.loadFixture(deployAdapter);
      await protocol.connect(alice).withdraw(await token.getAddress(), 1_100n * E18, alice.address, false);
      const [, code, failing] = await hub.currentDigest();
      expect(code).to.equal(0n);
      expect(failing).to.equal(ethers.ZeroAddress);
      await expect(hub.connect(stranger).tripOnInvariant(await adapter.getAddress()))
        .to.be.revertedWithCustomError(hub, "CordonInvariantsHold")
        .withArgs(await adapter.getAddress());
      await hub.connect(governance).pause(Reason.SECURITY_DRAIN);
      await expect(hub.connect(governance).unpause(Reason.SECURITY_DRAIN)).to.emit(hub, "StateChanged");
    });

    it("if it holds less than its locked outflows need, its invariant fails and anyone can trip the breaker", async function () {
      const { stranger, alice, hub, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      await protocol.connect(alice).withdrawNative(6n * E18, alice.address, false); // locked
      // Simulate a loss (no code path of the adapter can lose them): its balance drops under what it owes.
      await networkHelpers.setBalance(await adapter.getAddress(), 5n * E18);
      const code = await adapter.INVARIANT_LOCKED_FUNDS_MISSING();
      expect(await adapter.checkInvariants()).to.equal(code);
      await expect(hub.connect(stranger).tripOnInvariant(await adapter.getAddress()))
        .to.emit(hub, "InvariantTripped")
        .withArgs(1n, await adapter.getAddress(), code, stranger.address);
    });

    it("its state digest follows the funds it holds for locked outflows", async function () {
      const { alice, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const before = await adapter.stateDigest();
      await protocol.connect(alice).withdraw(await token.getAddress(), 100n * E18, alice.address, false);
      expect(await adapter.stateDigest()).to.equal(before); // paid: nothing held
      await protocol.connect(alice).withdraw(await token.getAddress(), 1_100n * E18, alice.address, false);
      expect(await adapter.stateDigest()).to.not.equal(before);
    });
  });

  describe("access", function () {
    it("only registered protocol contracts may report flows (CordonAdapterNotProtected)", async function () {
      const { stranger, alice, token, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      const tokenAddress = await token.getAddress();
      const asStranger = adapter.connect(stranger);
      await expect(asStranger.onTokenInflow(tokenAddress, 1n))
        .to.be.revertedWithCustomError(adapter, "CordonAdapterNotProtected")
        .withArgs(stranger.address);
      await expect(asStranger.onTokenOutflow(tokenAddress, 1n, stranger.address, false))
        .to.be.revertedWithCustomError(adapter, "CordonAdapterNotProtected")
        .withArgs(stranger.address);
      await expect(asStranger.onNativeAssetInflow(1n))
        .to.be.revertedWithCustomError(adapter, "CordonAdapterNotProtected")
        .withArgs(stranger.address);
      await expect(asStranger.onNativeAssetOutflow(stranger.address, false, { value: 1n }))
        .to.be.revertedWithCustomError(adapter, "CordonAdapterNotProtected")
        .withArgs(stranger.address);
      // A user calling the adapter directly cannot spend what the protocol parked in it.
      await expect(asStranger.onTokenOutflow(tokenAddress, 1n, alice.address, false)).to.be.revertedWithCustomError(
        adapter,
        "CordonAdapterNotProtected",
      );
      expect(await adapter.isProtectedContract(await protocol.getAddress())).to.equal(true);
      expect(await adapter.isProtectedContract(stranger.address)).to.equal(false);
    });

    it("only hub governance registers protocol contracts (CordonAdapterNotGovernance)", async function () {
      const { governance, guardian, stranger, alice, token, adapter, protocol } =
        await networkHelpers.loadFixture(deployAdapter);
      const protocolAddress = await protocol.getAddress();
      for (const caller of [guardian, stranger]) {
        await expect(adapter.connect(caller).setProtectedCaller(caller.address, true))
          .to.be.revertedWithCustomError(adapter, "CordonAdapterNotGovernance")
          .withArgs(caller.address);
      }
      await expect(adapter.connect(governance).setProtectedCaller(protocolAddress, false))
        .to.emit(adapter, "ProtectedCallerSet")
        .withArgs(protocolAddress, false);
      expect(await adapter.isProtectedContract(protocolAddress)).to.equal(false);
      await expect(protocol.connect(alice).withdraw(await token.getAddress(), E18, alice.address, false))
        .to.be.revertedWithCustomError(adapter, "CordonAdapterNotProtected")
        .withArgs(protocolAddress);
    });
  });

  describe("ERC-7265 status views", function () {
    it("isRateLimitTriggered follows the asset's capacity and its scope", async function () {
      const { governance, guardian, alice, token, hub, adapter, protocol } =
        await networkHelpers.loadFixture(deployAdapter);
      const tokenAddress = await token.getAddress();
      expect(await adapter.isRateLimitTriggered(tokenAddress)).to.equal(false);
      await protocol.connect(alice).withdraw(tokenAddress, TOKEN_CAPACITY, alice.address, false);
      expect(await adapter.isRateLimitTriggered(tokenAddress)).to.equal(true);
      expect(await adapter.isRateLimitTriggered(NATIVE)).to.equal(false);
      await time.increase(HOUR);
      expect(await adapter.isRateLimitTriggered(tokenAddress)).to.equal(false);

      await hub.connect(guardian).pauseScopes(1n << BigInt(TOKEN_SCOPE), Reason.SECURITY_DRAIN);
      expect(await adapter.isRateLimitTriggered(tokenAddress)).to.equal(true);
      expect(await adapter.isRateLimitTriggered(NATIVE)).to.equal(false);
      await hub.connect(governance).unpauseScopes(1n << BigInt(TOKEN_SCOPE), Reason.SECURITY_DRAIN);
      expect(await adapter.isRateLimitTriggered(tokenAddress)).to.equal(false);
      // An asset without a limit has nothing available.
      expect(await adapter.isRateLimitTriggered(ethers.ZeroAddress)).to.equal(true);
    });

    it("isRateLimited and isOperational follow the hub's state", async function () {
      const { governance, guardian, hub, adapter } = await networkHelpers.loadFixture(deployAdapter);
      expect(await adapter.isRateLimited()).to.equal(false);
      expect(await adapter.isOperational()).to.equal(true);
      await hub.connect(guardian).pause(Reason.SECURITY_DRAIN);
      expect(await adapter.isRateLimited()).to.equal(true);
      expect(await adapter.isOperational()).to.equal(true);
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN);
      expect(await adapter.isRateLimited()).to.equal(true);
      expect(await adapter.isOperational()).to.equal(true);
      await hub.connect(governance).shutdown(Reason.SECURITY_DRAIN);
      expect(await adapter.isRateLimited()).to.equal(true);
      expect(await adapter.isOperational()).to.equal(false);
    });

    it("isRateLimited is false once a guardian pause has expired, before anyone settles it", async function () {
      // Regression: it read the state last pushed to the adapter, which still says Paused until someone settles.
      const { guardian, alice, hub, adapter, protocol } = await networkHelpers.loadFixture(deployAdapter);
      await hub.connect(guardian).pause(Reason.SECURITY_DRAIN);
      expect(await adapter.isRateLimited()).to.equal(true);
      await time.increase(3 * DAY);
      expect(await hub.state()).to.equal(0n);
      expect(await adapter.isRateLimited()).to.equal(false);
      // Outflows agree: they flow without a push.
      await expect(protocol.connect(alice).withdrawNative(E18, alice.address, false)).to.changeEtherBalance(
        ethers,
        alice,
        E18,
      );
    });
  });
});
