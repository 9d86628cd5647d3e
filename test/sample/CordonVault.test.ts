import { expect } from "chai";
import { network } from "hardhat";

import { getAccounts } from "../helpers/accounts.js";

const { ethers, networkHelpers } = await network.create();

const HubState = { Active: 0n, Paused: 1n, Recovery: 2n, Shutdown: 3n } as const;
const Policy = { Revert: 0, Queue: 1, Trip: 2 } as const;
const SCOPE_DEPOSIT = 0;
const SCOPE_WITHDRAW = 1;
const DAY = 86_400;
const E18 = 10n ** 18n;

async function deployVault() {
  const { governance, guardian, alice, bob, attacker, flawSwitch } = await getAccounts(ethers);
  const token = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 18]);
  const hub = await ethers.deployContract("CordonHub", [governance.address, [guardian.address], 3 * DAY, DAY]);
  const vault = await ethers.deployContract("CordonVault", [
    await token.getAddress(),
    "Cordon USDC Vault",
    "cvUSDC",
    await hub.getAddress(),
    flawSwitch.address,
  ]);
  await hub.addProtected(await vault.getAddress());
  await hub.setLimit(await vault.getAddress(), await token.getAddress(), {
    scope: SCOPE_WITHDRAW,
    capacity: 10_000n * E18,
    window: DAY,
    largeThreshold: 5_000n * E18,
    policy: Policy.Trip,
    inflowRefills: false,
    queueDelay: DAY,
  });
  for (const user of [alice, bob, attacker]) {
    await token.mint(user.address, 100_000n * E18);
    await token.connect(user).approve(await vault.getAddress(), ethers.MaxUint256);
  }
  await vault.connect(alice).deposit(40_000n * E18, alice.address);
  await vault.connect(bob).deposit(40_000n * E18, bob.address);
  return { governance, guardian, alice, bob, attacker, flawSwitch, token, hub, vault };
}

describe("CordonVault", function () {
  it("pays withdrawals within the limit", async function () {
    const { alice, token, vault } = await networkHelpers.loadFixture(deployVault);
    await expect(vault.connect(alice).withdraw(1_000n * E18, alice.address, alice.address)).to.changeTokenBalance(
      ethers,
      token,
      alice,
      1_000n * E18,
    );
  });

  it("a TRIP breach pauses the scope, queues the outflow, and the pause persists after the transaction", async function () {
    const { alice, token, hub, vault } = await networkHelpers.loadFixture(deployVault);
    await vault.connect(alice).withdraw(4_000n * E18, alice.address, alice.address);
    await vault.connect(alice).withdraw(4_000n * E18, alice.address, alice.address);
    const before = await token.balanceOf(alice.address);
    const tx = vault.connect(alice).withdraw(4_000n * E18, alice.address, alice.address);
    await expect(tx).to.emit(hub, "LimitTripped");
    await expect(tx).to.emit(vault, "OutflowQueued");
    expect(await token.balanceOf(alice.address)).to.equal(before);
    expect(await hub.isScopePaused(SCOPE_WITHDRAW)).to.equal(true);
    expect(await vault.isScopeOpen(SCOPE_WITHDRAW)).to.equal(false);
    expect(await vault.isScopeOpen(SCOPE_DEPOSIT)).to.equal(true);
    await expect(vault.connect(alice).withdraw(1n, alice.address, alice.address))
      .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
      .withArgs(SCOPE_WITHDRAW, HubState.Active, 1n);
  });

  it("the deliberate flaw drains, breaks the invariant, and anyone can trip the breaker", async function () {
    const { attacker, bob, flawSwitch, hub, vault } = await networkHelpers.loadFixture(deployVault);
    await vault.connect(flawSwitch).setFlawed(true);
    await vault.connect(attacker).deposit(1_000n * E18, attacker.address);
    await vault.connect(attacker).redeem(500n * E18, attacker.address, attacker.address);
    expect(await vault.checkInvariants()).to.equal(1n);
    await expect(hub.connect(bob).tripOnInvariant(await vault.getAddress())).to.emit(hub, "InvariantTripped");
    expect(await hub.state()).to.equal(HubState.Paused);
    await expect(vault.connect(attacker).redeem(1n, attacker.address, attacker.address)).to.be.revertedWithCustomError(
      vault,
      "CordonScopeClosed",
    );
  });
});
