/**
 * `npm run demo` (smoke version): deploys an outflow limit with Hardhat Ignition on an in-process chain and shows a
 * drain being held to the limit. The full demo (vault, hub, Safe, watcher, exploit, report) replaces it.
 */
import { network } from "hardhat";

import OutflowLimitSmoke from "../ignition/modules/OutflowLimitSmoke.js";

const { ethers, ignition, networkHelpers } = await network.create();
const STATUS = ["Ok", "Closed", "OverLimit", "Large", "NotConfigured"];

console.log("1. Deploying an outflow limit of 1,000 tokens per day with Hardhat Ignition...");
const deployed = await ignition.deploy(OutflowLimitSmoke);
const limit = await ethers.getContractAt("OutflowLimitHarness", await deployed.limit.getAddress());
console.log(`   deployed at ${await limit.getAddress()}`);

console.log("2. An attacker tries to drain 300 tokens at a time:");
let drained = 0n;
for (let i = 1; i <= 5; i++) {
  const amount = ethers.parseEther("300");
  const status = Number(await limit.consume.staticCall(amount, false));
  if (status === 0) {
    await (await limit.consume(amount, false)).wait();
    drained += amount;
  }
  console.log(`   attempt ${i}: ${STATUS[status]}; total out ${ethers.formatEther(drained)}`);
}
const wait = await limit.waitFor(ethers.parseEther("300"));
console.log(
  `3. The next 300 tokens may leave in ${wait} s; the limit held the drain to ${ethers.formatEther(drained)}.`,
);
await networkHelpers.time.increase(wait);
const [, available] = await limit.state();
console.log(`4. After the wait, ${ethers.formatEther(available)} tokens are available again.`);
console.log("Smoke demo done.");
