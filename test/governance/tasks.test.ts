import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, getAddress } from "ethers";

import { ROLES } from "@cordon/keeper/governance/abi.js";
import { transactionBuilderChecksum, type TransactionBuilderBatch } from "@cordon/keeper/governance/tx-builder.js";
import { type CliOutcome as Outcome, runCordon } from "../support/cordon-cli.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { send } from "../support/deploy.js";
import { type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";
import { deploySafe } from "../support/safe.js";

describe("cordon tasks against a hardhat node: an incident through a 2-of-3 Safe, and bad input refused", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let safe: Contract;
  let dir: string;
  let accounts: string[];

  /** Runs `npx hardhat --network cordonTest cordon <args>` against the test node. */
  async function cordon(args: string[], deployments = path.join(dir, "deployments")): Promise<Outcome> {
    return await runCordon(chain.node.url, deployments, args);
  }

  const state = async () => (await protocol.hub.getFunction("state")()) as bigint;

  before(async function () {
    chain = await startTestChain([]);
    protocol = await deploySampleProtocol(chain);
    accounts = await chain.node.rpc<string[]>("eth_accounts");
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    safe = await deploySafe(deployer, accounts.slice(3, 6), 2);
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, safe.target);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-tasks-"));
    mkdirSync(path.join(dir, "deployments", "cordonTest"), { recursive: true });
    writeFileSync(
      path.join(dir, "deployments", "cordonTest", "cordon.json"),
      JSON.stringify({
        chainId: 31337,
        hub: protocol.hub.target,
        protected: [protocol.vault.target],
        governance: { kind: "safe", address: safe.target },
        guardians: [protocol.keeper.address],
      }),
    );
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a missing deployment and a scope that does not exist, naming the fix, and sends nothing", async function () {
    const block = await chain.provider.getBlockNumber();
    const missing = await cordon(["status"], path.join(dir, "nowhere"));
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain("error: no deployment for network cordonTest");
    expect(missing.stderr).to.contain("run `npx hardhat cordon deploy --network cordonTest` first");

    const badScope = await cordon(["pause", "--scopes", "1,300", "--from", protocol.keeper.address]);
    expect(badScope.code).to.equal(2);
    expect(badScope.stderr).to.contain('scope "300" does not exist: scopes are numbers from 0 to 207');
    expect(await chain.provider.getBlockNumber()).to.equal(block);
  });

  it("a guardian pauses; a signer without the role is refused; the Safe enters Recovery and resumes", async function () {
    const paused = await cordon(["pause", "--reason", "SECURITY_DRAIN", "--from", protocol.keeper.address]);
    expect(paused.stderr).to.equal("");
    expect(paused.stdout).to.contain("pause (SECURITY_DRAIN) via direct: simulation ok");
    expect(await state()).to.equal(1n);

    const block = await chain.provider.getBlockNumber();
    const stranger = await cordon(["recover", "--via", "direct", "--from", accounts[2]!]);
    expect(stranger.code).to.equal(2);
    expect(stranger.stderr).to.contain(`${getAddress(accounts[2]!)} does not hold GOVERNANCE_ROLE`);
    expect(stranger.stderr).to.contain("Nothing was sent");

    const batchFile = path.join(dir, "recover.json");
    const exported = await cordon(["recover", "--via", "safe", "--export", batchFile]);
    expect(exported.code).to.equal(0);
    const batch = JSON.parse(readFileSync(batchFile, "utf8")) as TransactionBuilderBatch;
    expect(batch.meta.createdFromSafeAddress).to.equal(safe.target);
    expect(batch.transactions[0]!.to).to.equal(protocol.hub.target);
    expect(batch.meta.checksum).to.equal(transactionBuilderChecksum(batch));
    expect(await chain.provider.getBlockNumber()).to.equal(block);

    const recovered = await cordon(["recover", "--via", "safe", "--reason", "SECURITY_DRAIN"]);
    expect(recovered.stdout).to.contain("2 of 3 owners");
    expect(await state()).to.equal(2n);
    const resumed = await cordon(["resume", "--via", "safe", "--reason", "MAINTENANCE_PLANNED"]);
    expect(resumed.stdout).to.match(/resume from checkpoint \d+ \(MAINTENANCE_PLANNED\) via safe: simulation ok/);
    expect(await state()).to.equal(0n);
    expect(await safe.getFunction("nonce")()).to.equal(2n);

    const status = await cordon(["status"]);
    expect(status.stdout).to.match(/^State\s+Active$/m);
    expect(status.stdout).to.match(/^Open incident\s+none$/m);
  });

  it("refuses to resume while an invariant fails, in plain words, and the Safe sends nothing", async function () {
    await protocol.exploit();
    await cordon(["pause", "--from", protocol.keeper.address]);
    await cordon(["recover", "--via", "safe"]);
    expect(await state()).to.equal(2n);
    const nonce = (await safe.getFunction("nonce")()) as bigint;
    const refused = await cordon(["resume", "--via", "safe"]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain(`${protocol.vault.target}'s invariant check fails with code`);
    expect(refused.stderr).to.contain("fix: repair the protocol's state");
    expect(await safe.getFunction("nonce")()).to.equal(nonce);
    expect(await state()).to.equal(2n);
  });
});
