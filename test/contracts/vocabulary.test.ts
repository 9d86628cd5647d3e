/**
 * The generated vocabulary (`packages/keeper/src/contracts/generated/cordon.ts`) against deployed contracts: every
 * public constant the hub and the ERC-7265 adapter expose equals the generated one, the states, reasons and the scope
 * count behave on-chain as the module says, every custom error decodes by name through the keeper's interfaces, and
 * the committed module is what the current build gives.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import type { Contract } from "ethers";
import { network } from "hardhat";

import { hubInterface } from "@cordon/keeper/contracts/abi.js";
import {
  CordonERC7265AdapterConstants,
  CordonHubConstants,
  HubState,
  Reasons,
  iCordonGuardedAbi,
  iCordonHubAbi,
  outflowLimitAbi,
} from "@cordon/keeper/contracts/generated/cordon.js";
import { governanceHubInterface, ROLES } from "@cordon/keeper/governance/abi.js";

import { formattedVocabulary, GENERATED_FILE } from "../../scripts/vocabulary/generate.js";

const { ethers } = await network.create();

/** The revert data of a failed call, however ethers wraps it. */
async function revertData(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: unknown }).data;
    if (typeof data === "string") return data;
    throw error;
  }
  expect.fail("the call did not revert");
}

describe("the generated contracts vocabulary against deployed contracts", function () {
  let hub: Contract;
  let guarded: Contract;

  before(async function () {
    const [governance, guardian] = await ethers.getSigners();
    hub = (await ethers.deployContract("CordonHub", [
      governance!.address,
      [guardian!.address],
      86_400,
      60,
    ])) as unknown as Contract;
    guarded = (await ethers.deployContract("GuardedMock", [await hub.getAddress()])) as unknown as Contract;
    await (await hub.getFunction("addProtected")(await guarded.getAddress())).wait();
  });

  it("has every public constant of the hub, with the value the deployed hub returns", async function () {
    for (const [name, value] of Object.entries(CordonHubConstants)) {
      const onChain: unknown = await hub.getFunction(name)();
      expect(typeof value === "string" ? String(onChain) : BigInt(onChain as bigint), name).to.equal(
        typeof value === "string" ? value : BigInt(value),
      );
    }
    expect(ROLES.GOVERNANCE_ROLE).to.equal(await hub.getFunction("GOVERNANCE_ROLE")());
    expect(ROLES.GUARDIAN_ROLE).to.equal(await hub.getFunction("GUARDIAN_ROLE")());
    expect(CordonHubConstants.SCOPE_COUNT).to.equal(208);
  });

  it("has every public constant of the ERC-7265 adapter", async function () {
    const adapter = (await ethers.deployContract("CordonERC7265Adapter", [
      await hub.getAddress(),
    ])) as unknown as Contract;
    for (const [name, value] of Object.entries(CordonERC7265AdapterConstants)) {
      const onChain: unknown = await adapter.getFunction(name)();
      expect(typeof value === "string" ? String(onChain) : BigInt(onChain as bigint), name).to.equal(
        typeof value === "string" ? value : BigInt(value),
      );
    }
  });

  it("names the hub's states by the index the hub reports, and its reasons by the code its events carry", async function () {
    expect(HubState[Number(await hub.getFunction("state")())]).to.equal("Active");
    const [, guardian] = await ethers.getSigners();
    const receipt = await (
      await (hub.connect(guardian!) as Contract).getFunction("pause")(Reasons.SECURITY_DRAIN)
    ).wait();
    expect(HubState[Number(await hub.getFunction("state")())]).to.equal("Paused");
    const opened = receipt.logs
      .map((log: { topics: string[]; data: string }) => hubInterface.parseLog(log))
      .find((event: { name: string } | null) => event?.name === "IncidentOpened");
    expect(Number(opened.args.reason)).to.equal(Reasons.SECURITY_DRAIN);
    await (await hub.getFunction("unpause")(Reasons.MAINTENANCE_PLANNED)).wait();
  });

  it("has as many scopes as the hub and the guarded base accept, and decodes their refusals by name", async function () {
    const last = BigInt(CordonHubConstants.SCOPE_COUNT - 1);
    await (await hub.getFunction("pauseScopes")(1n << last, Reasons.SECURITY_DRAIN)).wait();
    expect(await hub.getFunction("isScopePaused")(last)).to.equal(true);

    const beyond = 1n << BigInt(CordonHubConstants.SCOPE_COUNT);
    const refused = hubInterface.parseError(
      await revertData(hub.getFunction("pauseScopes").staticCall(beyond, Reasons.SECURITY_DRAIN)),
    );
    expect(refused?.name).to.equal("CordonInvalidScopes");

    const params = (scope: bigint) => [scope, 1_000n, 3_600n, 0n, 0, false, 0];
    const asset = "0x0000000000000000000000000000000000000002";
    await (await hub.getFunction("setLimit")(await guarded.getAddress(), asset, params(last))).wait();
    const scopeRefused = governanceHubInterface.parseError(
      await revertData(
        hub
          .getFunction("setLimit")
          .staticCall(await guarded.getAddress(), asset, params(BigInt(CordonHubConstants.SCOPE_COUNT))),
      ),
    );
    expect(scopeRefused?.name).to.equal("CordonInvalidScope");
  });

  it("decodes every custom error of the hub, the guarded interface and OutflowLimit through the keeper's hub interface", function () {
    const errors = [...iCordonHubAbi, ...iCordonGuardedAbi, ...outflowLimitAbi].filter((e) => e.type === "error");
    expect(errors.length).to.be.greaterThan(20);
    for (const error of errors) {
      expect(hubInterface.getError(error.name), error.name).to.not.equal(null);
    }
  });

  it("is what the current build gives (npx hardhat build rewrites it; commit the result)", async function () {
    const root = path.resolve(".");
    const expected = await formattedVocabulary(root);
    expect(expected, "no artifacts").to.not.equal(undefined);
    expect(readFileSync(path.join(root, GENERATED_FILE), "utf8") === expected, GENERATED_FILE).to.equal(true);
  });
});
