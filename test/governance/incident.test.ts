import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, type EventLog, getAddress } from "ethers";

import { ROLES } from "@cordon/keeper/governance/abi.js";
import { signAttestation } from "@cordon/keeper/governance/attest.js";
import { writeDeployment } from "@cordon/keeper/governance/deployments.js";
import { REASONS } from "@cordon/keeper/governance/reasons.js";
import { readStatus } from "@cordon/keeper/governance/status.js";
import { type CliOutcome as Outcome, runCordon } from "../support/cordon-cli.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { send } from "../support/deploy.js";
import { type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";
import { deploySafe } from "../support/safe.js";
import { deployTimelock } from "../support/timelock.js";

const DELAY = 60;
const STATE = { Active: 0n, Paused: 1n, Recovery: 2n } as const;

describe("A full incident (pause, checkpoint, recover, verify, resume with attestations) through each governance mode", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let accounts: string[];
  let guardians: string[];
  let safe: Contract;
  let timelock: Contract;
  let dir: string;

  /** Runs `hardhat --network cordonTest cordon <args>` against the test node, as a user would. */
  async function cordon(args: string[]): Promise<Outcome> {
    return await runCordon(chain.node.url, path.join(dir, "deployments"), args);
  }

  /** Runs a task that must succeed, with its output in the failure message. */
  async function ok(args: string[]): Promise<string> {
    const outcome = await cordon(args);
    expect(outcome.code, `cordon ${args.join(" ")}: ${outcome.stderr}`).to.equal(0);
    return outcome.stdout;
  }

  const hubState = async () => (await protocol.hub.getFunction("state")()) as bigint;

  /** The account the hub saw move it into `to` most recently. */
  async function lastActor(to: bigint): Promise<string> {
    const events = (await protocol.hub.queryFilter(protocol.hub.filters.StateChanged!())) as EventLog[];
    const last = events.filter((e) => (e.args.to as bigint) === to).at(-1);
    return getAddress(last?.args.actor as string);
  }

  function useGovernance(kind: "direct" | "safe" | "timelock", address: string): void {
    writeDeployment(path.join(dir, "deployments"), "cordonTest", {
      chainId: 31337,
      hub: protocol.hub.target as string,
      protected: [protocol.vault.target as string],
      governance: { kind, address },
      guardians,
    });
  }

  /**
   * A guardian pauses the protocol and takes a checkpoint, through the tasks or (to keep the file quick; the tasks
   * test covers them) straight on the hub; returns the checkpoint's id.
   */
  async function pauseAndCheckpoint(tasks: boolean): Promise<bigint> {
    const keeper = protocol.keeper.address;
    const asKeeper = protocol.hub.connect(await chain.wallet(TEST_KEYS.keeper)) as Contract;
    if (tasks) {
      expect(await ok(["pause", "--reason", "SECURITY_DRAIN", "--from", keeper])).to.contain("simulation ok");
    } else {
      await send(asKeeper, "pause", REASONS.SECURITY_DRAIN);
    }
    expect(await hubState()).to.equal(STATE.Paused);
    const before = (await protocol.hub.getFunction("latestCheckpointId")()) as bigint;
    if (tasks) await ok(["checkpoint", "--reason", "SECURITY_DRAIN", "--from", keeper]);
    else await send(asKeeper, "checkpoint", REASONS.SECURITY_DRAIN);
    const id = (await protocol.hub.getFunction("latestCheckpointId")()) as bigint;
    expect(id).to.equal(before + 1n);
    return id;
  }

  /**
   * Verify: `cordon verify-state` proves the checkpoint and the state now (eth_getProof, two endpoints), and the
   * protocol's digest now equals the checkpoint's with no invariant failing.
   */
  async function verify(id: bigint): Promise<void> {
    const proven = await ok(["verify-state", "--checkpoint", String(id), "--rpc", chain.node.url]);
    expect(proven).to.include(`The state now matches checkpoint ${id}.`);
    expect(proven).to.include("Every endpoint answered the proven values.");
    const status = await readStatus(chain.provider, protocol.hub.target as string);
    expect(status.state).to.equal("Recovery");
    const checkpoint = status.checkpoints.find((c) => c.id === id);
    expect(checkpoint?.digest).to.match(/^0x[0-9a-f]{64}$/);
    expect(status.current.digest).to.equal(checkpoint?.digest);
    expect(status.current.invariantCode).to.equal(0n);
  }

  /** Each guardian attests checkpoint `id` through `cordon attest`; returns the files. */
  async function attest(id: bigint): Promise<string[]> {
    const files = guardians.map((g) => path.join(dir, `attest-${id}-${g}.json`));
    const outputs = await Promise.all(
      guardians.map((g, i) => ok(["attest", "--checkpoint", String(id), "--from", g, "--out", files[i]!])),
    );
    for (const [i, output] of outputs.entries()) {
      expect(output).to.contain(`${guardians[i]} attests checkpoint ${id}`);
      expect(output).to.contain("the protocol's state digest now matches the checkpoint");
    }
    return files;
  }

  /** The Resumed event's count of valid attestations for checkpoint `id`. */
  async function attestationsCounted(id: bigint): Promise<bigint> {
    const events = (await protocol.hub.queryFilter(protocol.hub.filters.Resumed!(undefined, id))) as EventLog[];
    return events.at(-1)?.args.attestations as bigint;
  }

  before(async function () {
    chain = await startTestChain([]);
    protocol = await deploySampleProtocol(chain);
    accounts = (await chain.node.rpc<string[]>("eth_accounts")).map((a) => getAddress(a));
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    guardians = [protocol.keeper.address, accounts[8]!];
    await send(protocol.hub, "grantRole", ROLES.GUARDIAN_ROLE, accounts[8]);
    await send(protocol.hub, "setAttestationThreshold", 2);
    safe = await deploySafe(deployer, accounts.slice(3, 6), 2);
    timelock = await deployTimelock(deployer, DELAY, [accounts[6]!], [accounts[7]!]);
    // The sample protocol's deployer is not one of the node's accounts: a node account governs directly.
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, accounts[0]);
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, safe.target);
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, timelock.target);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-incident-"));
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("(a) a direct signer: resume is refused with one attestation of two, then resumes with both", async function () {
    const governance = accounts[0]!;
    useGovernance("direct", governance);
    const id = await pauseAndCheckpoint(true);
    await ok(["recover", "--checkpoint", String(id), "--via", "direct", "--from", governance]);
    expect(await hubState()).to.equal(STATE.Recovery);
    expect(await lastActor(STATE.Recovery)).to.equal(governance);
    await verify(id);

    const files = await attest(id);
    const block = await chain.provider.getBlockNumber();
    const refused = await cordon(["resume", "--via", "direct", "--from", governance, "--attestations", files[0]!]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain("only 1 valid guardian attestation(s) of the checkpoint, 2 needed");
    expect(refused.stderr).to.contain("Nothing was sent");
    expect(await chain.provider.getBlockNumber()).to.equal(block);

    const resumed = await ok(["resume", "--via", "direct", "--from", governance, "--attestations", files.join(",")]);
    expect(resumed).to.contain(`resume from checkpoint ${id} (SECURITY_DRAIN), attested by`);
    expect(await hubState()).to.equal(STATE.Active);
    expect(await lastActor(STATE.Active)).to.equal(governance);
    expect(await attestationsCounted(id)).to.equal(2n);
  });

  it("(b) a 2-of-3 Safe: recovers and resumes with the guardians' bare signatures", async function () {
    useGovernance("safe", safe.target as string);
    const nonce = (await safe.getFunction("nonce")()) as bigint;
    const id = await pauseAndCheckpoint(false);
    expect(await ok(["recover", "--checkpoint", String(id), "--via", "safe"])).to.contain("2 of 3 owners");
    expect(await lastActor(STATE.Recovery)).to.equal(safe.target);
    await verify(id);

    const hub = protocol.hub.target as string;
    const signatures: string[] = [];
    for (const guardian of guardians) {
      const signer = await chain.provider.getSigner(guardian);
      signatures.push((await signAttestation(chain.provider, hub, id, signer)).signature);
    }
    await ok(["resume", "--via", "safe", "--reason", "MAINTENANCE_PLANNED", "--attestations", signatures.join(",")]);
    expect(await hubState()).to.equal(STATE.Active);
    expect(await lastActor(STATE.Active)).to.equal(safe.target);
    expect(await attestationsCounted(id)).to.equal(2n);
    expect(await safe.getFunction("nonce")()).to.equal(nonce + 2n);
  });

  it("(c) a TimelockController: each step is scheduled, refused before the delay, and executed after it", async function () {
    useGovernance("timelock", timelock.target as string);
    const increaseTime = async (seconds: number) => {
      await chain.node.rpc("evm_increaseTime", [seconds]);
      await chain.node.rpc("evm_mine");
    };
    const id = await pauseAndCheckpoint(false);
    const recover = ["recover", "--checkpoint", String(id), "--via", "timelock"];
    const stranger = await cordon([...recover, "--from", accounts[2]!]);
    expect(stranger.code).to.equal(2);
    expect(stranger.stderr).to.contain(
      `schedule of enter Recovery from checkpoint ${id} (SECURITY_DRAIN) on the timelock`,
    );
    expect(stranger.stderr).to.contain(`${accounts[2]} does not hold PROPOSER_ROLE`);
    expect(stranger.stderr).to.contain("Nothing was sent");
    const scheduled = await ok(recover);
    expect(scheduled).to.contain(`${accounts[6]} schedules (PROPOSER_ROLE)`);
    expect(scheduled, scheduled).to.match(/NOT executed yet: it becomes executable at \S+ \(in (1 min|59 s)\)/);
    expect(scheduled).to.contain("run the same command with --execute");
    expect(await hubState()).to.equal(STATE.Paused);

    const block = await chain.provider.getBlockNumber();
    const early = await cordon([...recover, "--execute"]);
    expect(early.code).to.equal(2);
    expect(early.stderr, early.stderr).to.match(
      /is scheduled on the timelock \S+ but not executable until \S+ \(in (1 min|\d+ s)\)/,
    );
    expect(early.stderr).to.contain("Nothing was sent");
    expect(await chain.provider.getBlockNumber()).to.equal(block);

    await increaseTime(DELAY);
    expect(await ok([...recover, "--execute"])).to.contain("executed timelock operation");
    expect(await hubState()).to.equal(STATE.Recovery);
    expect(await lastActor(STATE.Recovery)).to.equal(timelock.target);
    await verify(id);

    const resume = ["resume", "--via", "timelock", "--attestations", (await attest(id)).join(",")];
    expect(await ok(resume)).to.contain("NOT executed yet");
    expect(await hubState()).to.equal(STATE.Recovery);
    await increaseTime(DELAY);
    await ok([...resume, "--execute"]);
    expect(await hubState()).to.equal(STATE.Active);
    expect(await lastActor(STATE.Active)).to.equal(timelock.target);
    expect(await attestationsCounted(id)).to.equal(2n);
  });
});
