import { expect } from "chai";
import { type Contract, Wallet } from "ethers";

import { CordonError } from "@cordon/keeper/errors.js";
import { ROLES, governanceHubInterface } from "@cordon/keeper/governance/abi.js";
import { DirectExecutor, type GovernanceCall, SafeExecutor, execute } from "@cordon/keeper/governance/executor.js";
import { simulate } from "@cordon/keeper/governance/simulate.js";
import { exportTransactionBuilderJson, transactionBuilderChecksum } from "@cordon/keeper/governance/tx-builder.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { send } from "../support/deploy.js";
import { type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";
import { deploySafe } from "../support/safe.js";

const SECURITY_DRAIN = 0x0101;
const DAY = 86_400;

function hubCall(hub: Contract, method: string, args: unknown[]): GovernanceCall {
  return { to: hub.target as string, data: governanceHubInterface.encodeFunctionData(method, args), label: method };
}

describe("Governance execution: simulate first, decode reverts, direct and Safe executors", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let deployer: Wallet;
  let outsider: Wallet;
  let keeper: Wallet;
  let safe: Contract;
  const owners = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];

  before(async function () {
    chain = await startTestChain([]);
    protocol = await deploySampleProtocol(chain);
    deployer = await chain.wallet(TEST_KEYS.deployer);
    outsider = await chain.wallet(TEST_KEYS.outsider);
    keeper = await chain.wallet(TEST_KEYS.keeper);
    safe = await deploySafe(
      deployer,
      owners.map((o) => o.address),
      2,
    );
  });

  after(async function () {
    await chain?.stop();
  });

  async function increaseTime(seconds: number): Promise<void> {
    await chain.node.rpc("evm_increaseTime", [seconds]);
    await chain.node.rpc("evm_mine");
  }

  it("names the missing role, not its hash, for a pause by a stranger", async function () {
    const call = hubCall(protocol.hub, "pause", [SECURITY_DRAIN]);
    const result = await simulate(chain.provider, { from: outsider.address, ...call });
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.revert.error).to.equal("AccessControlUnauthorizedAccount");
    expect(result.revert.message).to.equal(`${outsider.address} does not hold GUARDIAN_ROLE`);
    expect(result.revert.fix).to.contain("guardians add");
  });

  it("a failed simulation sends nothing: the sender's nonce and the chain stay as they were", async function () {
    const nonce = await chain.provider.getTransactionCount(outsider.address);
    const block = await chain.provider.getBlockNumber();
    const call = hubCall(protocol.hub, "enterRecovery", [0, SECURITY_DRAIN]);
    let thrown: unknown;
    try {
      await execute(new DirectExecutor(outsider), chain.provider, call);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(CordonError);
    expect((thrown as CordonError).shortMessage).to.contain("does not hold GOVERNANCE_ROLE");
    expect((thrown as CordonError).details).to.contain("Nothing was sent");
    expect(await chain.provider.getTransactionCount(outsider.address)).to.equal(nonce);
    expect(await chain.provider.getBlockNumber()).to.equal(block);
  });

  it("a dry run simulates and stops; a direct run sends; a refused transition names the state and the pause's end", async function () {
    const call = hubCall(protocol.hub, "pause", [SECURITY_DRAIN]);
    const nonce = await chain.provider.getTransactionCount(keeper.address);
    const dry = await execute(new DirectExecutor(keeper), chain.provider, call, { dryRun: true });
    expect(dry.txHash).to.equal(undefined);
    expect(dry.simulation.ok && dry.simulation.gas > 21_000n).to.equal(true);
    expect(await chain.provider.getTransactionCount(keeper.address)).to.equal(nonce);

    const sent = await execute(new DirectExecutor(keeper), chain.provider, call);
    expect(sent.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await protocol.hub.getFunction("state")()).to.equal(1n);

    const resume = hubCall(protocol.hub, "resume", [1, [], SECURITY_DRAIN]);
    const refused = await simulate(
      chain.provider,
      { from: deployer.address, ...resume },
      protocol.hub.target as string,
    );
    expect(refused.ok).to.equal(false);
    if (refused.ok) return;
    expect(refused.revert.error).to.equal("CordonInvalidTransition");
    expect(refused.revert.message).to.match(
      /^the hub is Paused and cannot go to Active; the guardian pause ends by itself at \S+ \(in (3 d|2 d 23 h)\)$/,
    );
  });

  it("explains a guardian cooldown with the time left", async function () {
    await increaseTime(3 * DAY + 10);
    const call = hubCall(protocol.hub, "pause", [SECURITY_DRAIN]);
    const result = await simulate(chain.provider, { from: keeper.address, ...call });
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.revert.error).to.equal("CordonGuardianCooldown");
    expect(result.revert.message).to.match(/ends, at \S+ \(in 23 h 59 min\)$/);
    expect(result.revert.fix).to.contain("liftCooldown");
  });

  it("a Safe without the governance role is refused in simulation, and its nonce does not move", async function () {
    const executor = new SafeExecutor(safe.target as string, [owners[0]!, owners[2]!], deployer);
    const call = hubCall(protocol.hub, "enterRecovery", [0, SECURITY_DRAIN]);
    let thrown: unknown;
    try {
      await execute(executor, chain.provider, call);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as CordonError).shortMessage).to.contain(`${safe.target} does not hold GOVERNANCE_ROLE`);
    expect(await safe.getFunction("nonce")()).to.equal(0n);
  });

  it("a 2-of-3 Safe holding governance enters Recovery and resumes, after simulating each from the Safe", async function () {
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, safe.target);
    const executor = new SafeExecutor(safe.target as string, [owners[2]!, owners[0]!], deployer);
    expect(await executor.describeSigners()).to.contain("2 of 3 owners");

    await execute(executor, chain.provider, hubCall(protocol.hub, "enterRecovery", [0, SECURITY_DRAIN]));
    expect(await protocol.hub.getFunction("state")()).to.equal(2n);
    const latest = (await protocol.hub.getFunction("latestCheckpointId")()) as bigint;
    await execute(executor, chain.provider, hubCall(protocol.hub, "resume", [latest, [], SECURITY_DRAIN]));
    expect(await protocol.hub.getFunction("state")()).to.equal(0n);
    expect(await safe.getFunction("nonce")()).to.equal(2n);
  });

  it("refuses a Safe execution with fewer owner signers than the threshold", async function () {
    const executor = new SafeExecutor(safe.target as string, [owners[1]!, outsider], deployer);
    let thrown: unknown;
    try {
      await executor.describeSigners();
    } catch (error) {
      thrown = error;
    }
    expect((thrown as CordonError).shortMessage).to.contain("needs 2 owner signatures, but only 1");
  });

  it("computes the hash Safe owners sign exactly as the Safe does", async function () {
    const call = hubCall(protocol.hub, "pause", [SECURITY_DRAIN]);
    const nonce = (await safe.getFunction("nonce")()) as bigint;
    const onChain = await safe.getFunction("getTransactionHash")(
      call.to,
      0,
      call.data,
      0,
      0,
      0,
      0,
      "0x0000000000000000000000000000000000000000",
      "0x0000000000000000000000000000000000000000",
      nonce,
    );
    const { chainId } = await chain.provider.getNetwork();
    expect(SafeExecutor.transactionHash(chainId, safe.target as string, call, nonce)).to.equal(onChain);
  });

  it("exports a Transaction Builder batch whose checksum covers everything but the name", function () {
    const calls = [hubCall(protocol.hub, "unpause", [SECURITY_DRAIN])];
    const batch = exportTransactionBuilderJson(31337n, safe.target as string, calls, { name: "a", createdAt: 1 });
    expect(batch.transactions).to.deep.equal([
      { to: protocol.hub.target, value: "0", data: calls[0]!.data, contractMethod: null, contractInputsValues: null },
    ]);
    expect(batch.meta.createdFromSafeAddress).to.equal(safe.target);
    expect(batch.meta.checksum).to.equal(transactionBuilderChecksum(batch));
    expect(transactionBuilderChecksum({ ...batch, meta: { ...batch.meta, name: "b" } })).to.equal(batch.meta.checksum);
    const other = exportTransactionBuilderJson(31337n, safe.target as string, calls, { name: "a", createdAt: 2 });
    expect(other.meta.checksum).to.not.equal(batch.meta.checksum);
  });
});
