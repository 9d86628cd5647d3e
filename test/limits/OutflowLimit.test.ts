import { expect } from "chai";
import hre, { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();

const Status = { Ok: 0n, Closed: 1n, OverLimit: 2n, Large: 3n, NotConfigured: 4n } as const;
const Policy = { Revert: 0, Queue: 1, Trip: 2 } as const;
const DAY = 24 * 60 * 60;

async function deployLimits() {
  const cordon = await ethers.deployContract("OutflowLimitHarness");
  const oz = await ethers.deployContract("OZBucketHarness");
  await cordon.configure(ethers.parseEther("1000"), DAY, 0, Policy.Revert, false);
  await oz.configure(DAY, ethers.parseEther("1000"));
  return { cordon, oz };
}

describe("OutflowLimit", function () {
  it("reports the status of a consumption without reverting", async function () {
    const { cordon } = await networkHelpers.loadFixture(deployLimits);
    expect(await cordon.consume.staticCall(ethers.parseEther("999"), false)).to.equal(Status.Ok);
    expect(await cordon.consume.staticCall(ethers.parseEther("1001"), false)).to.equal(Status.OverLimit);
    await cordon.setClosed(true, false);
    expect(await cordon.consume.staticCall(1n, false)).to.equal(Status.Closed);
    expect(await cordon.consume.staticCall(1n, true)).to.equal(Status.Ok);
  });

  it("refills to exactly the amount a real chain's clock says", async function () {
    const { cordon, oz } = await networkHelpers.loadFixture(deployLimits);
    // Both in one block, so both buckets start their refill at the same second.
    await ethers.provider.send("evm_setAutomine", [false]);
    await cordon.consume(ethers.parseEther("1000"), false);
    await oz.tryConsume(ethers.parseEther("1000"));
    await networkHelpers.mine();
    await ethers.provider.send("evm_setAutomine", [true]);
    const wait = await cordon.waitFor(ethers.parseEther("250"));
    expect(wait).to.be.within(BigInt(DAY / 4 - 2), BigInt(DAY / 4));
    await networkHelpers.time.increase(wait);
    const [cordonUsed] = await cordon.state();
    const [ozUsed] = await oz.state();
    expect(cordonUsed).to.equal(ozUsed);
    expect(await cordon.consume.staticCall(ethers.parseEther("250"), false)).to.equal(Status.Ok);
  });

  it("refuses a bad configuration with the values to fix", async function () {
    const { cordon } = await networkHelpers.loadFixture(deployLimits);
    await expect(cordon.configure(0, DAY, 0, Policy.Revert, false))
      .to.be.revertedWithCustomError(cordon, "OutflowLimitInvalidCapacity")
      .withArgs(0, 2n ** 92n - 1n);
    await expect(cordon.configure(100, 0, 0, Policy.Revert, false))
      .to.be.revertedWithCustomError(cordon, "OutflowLimitInvalidWindow")
      .withArgs(0, 2n ** 24n - 1n);
  });

  it("costs less gas than OpenZeppelin's refilling bucket for the same consumption", async function () {
    // Coverage instrumentation adds gas per statement, which says nothing about the real contracts.
    if (hre.globalOptions.coverage) this.skip();
    const { cordon, oz } = await networkHelpers.loadFixture(deployLimits);
    // Both buckets in use, as in production (a first write to a zero slot costs 20k in either).
    await cordon.consume(1n, false);
    await oz.tryConsume(1n);
    const cordonReceipt = await (await cordon.consume(ethers.parseEther("1"), false)).wait();
    const ozReceipt = await (await oz.tryConsume(ethers.parseEther("1"))).wait();
    expect(cordonReceipt?.gasUsed).to.be.lessThan(ozReceipt!.gasUsed);
  });
});
