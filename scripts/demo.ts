/**
 * `npm run demo` (interim version): the sample vault under Cordon on an in-process chain. An attacker exploits the
 * vault's deliberate flaw; the outflow limit (TRIP policy) stops the drain within its capacity, pauses withdrawals and
 * queues the excess; anyone then trips the breaker on the broken invariant; governance cancels the queued drain. The
 * full demo (a Safe as governance, the watcher with three RPC endpoints, the downtime report) replaces this later.
 */
import { network } from "hardhat";

import SampleProtocol from "../ignition/modules/SampleProtocol.js";
import { getAccounts } from "../test/helpers/accounts.js";

const { ethers, ignition } = await network.create();
const { governance, guardian, alice, attacker, flawSwitch, stranger } = await getAccounts(ethers);
const fmt = (x: bigint) => Number(ethers.formatEther(x)).toLocaleString("en-US", { maximumFractionDigits: 0 });
const E18 = 10n ** 18n;
const STATES = ["Active", "Paused", "Recovery", "Shutdown"];

console.log("1. Deploying the sample protocol with Hardhat Ignition: mock USDC, guardian hub, vault...");
const deployed = await ignition.deploy(SampleProtocol, {
  parameters: { SampleProtocol: { guardian: guardian.address, flawSwitch: flawSwitch.address } },
});
const token = await ethers.getContractAt("MockERC20", await deployed.token.getAddress());
const hub = await ethers.getContractAt("CordonHub", await deployed.hub.getAddress());
const vault = await ethers.getContractAt("CordonVault", await deployed.vault.getAddress());
const vaultAddress = await vault.getAddress();
console.log(`   hub ${await hub.getAddress()}, vault ${vaultAddress}; limit 10,000 USDC/day, TRIP on breach`);

await (await token.mint(alice.address, 100_000n * E18)).wait();
await (await token.connect(alice).approve(vaultAddress, ethers.MaxUint256)).wait();
await (await vault.connect(alice).deposit(100_000n * E18, alice.address)).wait();
await (await token.mint(attacker.address, 1_000n * E18)).wait();
await (await token.connect(attacker).approve(vaultAddress, ethers.MaxUint256)).wait();
console.log(`2. Alice deposits 100,000 USDC. Vault holds ${fmt(await token.balanceOf(vaultAddress))} USDC.`);

console.log("3. The vault's bug goes live; the attacker deposits 1,000 and redeems over and over:");
await (await vault.connect(flawSwitch).setFlawed(true)).wait();
await (await vault.connect(attacker).deposit(1_000n * E18, attacker.address)).wait();
for (let i = 1; i <= 12; i++) {
  const chunk = await vault.balanceOf(attacker.address); // the same shares every time: the bug never burns them
  try {
    const receipt = await (await vault.connect(attacker).redeem(chunk, attacker.address, attacker.address)).wait();
    const tripped = receipt?.logs.some((log) => hub.interface.parseLog(log)?.name === "LimitTripped") ?? false;
    console.log(
      `   redeem ${i}: attacker holds ${fmt(await token.balanceOf(attacker.address))} USDC` +
        (tripped ? "  <- limit breached: withdrawals paused, this one queued" : ""),
    );
  } catch (error) {
    const reason = vault.interface.parseError((error as { data?: string }).data ?? "0x");
    console.log(`   redeem ${i}: refused (${reason?.name ?? "reverted"})`);
    break;
  }
}
console.log(`   invariant check of the vault: ${await vault.checkInvariants()} (1 = assets missing)`);

console.log("4. A stranger trips the breaker on the broken invariant (no role needed):");
await (await hub.connect(stranger).tripOnInvariant(vaultAddress)).wait();
console.log(`   hub state: ${STATES[Number(await hub.state())]}, incident ${await hub.incidentId()}`);

const queued = await vault.queuedCount();
const ids = Array.from({ length: Number(queued) }, (_, i) => BigInt(i + 1));
await (await hub.connect(governance).enterRecovery(0, 0x0102)).wait();
if (ids.length > 0) await (await hub.connect(governance).cancelQueued(vaultAddress, ids)).wait();
console.log(`5. Governance enters Recovery and cancels ${ids.length} queued withdrawal(s) of the attacker.`);

const stolen = (await token.balanceOf(attacker.address)) - 0n;
const left = await token.balanceOf(vaultAddress);
console.log(`\nSummary: the attacker got ${fmt(stolen)} USDC out (limit: 10,000/day); ${fmt(left)} USDC stayed in the`);
console.log(`vault; hub state ${STATES[Number(await hub.state())]}; Alice can leave through exitRedeem in Recovery.`);
