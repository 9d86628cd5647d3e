import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, getAddress } from "ethers";

import { ROLES, governanceHubInterface } from "@cordon/keeper/governance/abi.js";
import type { TransactionBuilderBatch } from "@cordon/keeper/governance/tx-builder.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { type CliOutcome, chainFingerprint, runCordon, writeTestDeployment } from "../support/cordon-cli.js";
import { send } from "../support/deploy.js";
import { E18, type QueuedProtocol, deployQueuedProtocol } from "../support/queued.js";
import { deploySafe } from "../support/safe.js";
import { deployTimelock } from "../support/timelock.js";

const DELAY = 60;
const GUARDIAN_PAUSE = 3 * 86_400;
const STATUS = { Pending: 1n, Claimed: 2n, Cancelled: 3n } as const;

describe("cordon queue approve: governance approves the outflow that tripped the breaker (Safe, timelock, direct); claim refuses it until then", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let accounts: string[];
  let safe: Contract;
  let timelock: Contract;
  let dir: string;

  const deployments = () => path.join(dir, "deployments");
  async function cordon(args: string[]): Promise<CliOutcome> {
    return await runCordon(chain.node.url, deployments(), args);
  }
  async function ok(args: string[]): Promise<string> {
    const outcome = await cordon(args);
    expect(outcome.code, `cordon ${args.join(" ")}: ${outcome.stderr}`).to.equal(0);
    return outcome.stdout;
  }
  /** `args` is refused before anything is simulated or sent, with `problem`, `fix` and `says` in its message. */
  async function refused(args: string[], problem: string, fix: string, says = "Nothing was sent"): Promise<void> {
    const before = await chainFingerprint(chain, accounts);
    const outcome = await cordon(args);
    expect(outcome.code, `cordon ${args.join(" ")}: ${outcome.stdout}`).to.equal(2);
    expect(outcome.stderr).to.contain(`error: ${problem}`);
    expect(outcome.stderr).to.contain(fix);
    expect(outcome.stderr).to.contain(says);
    expect(outcome.stdout).to.not.contain("simulation ok");
    expect(await chainFingerprint(chain, accounts)).to.equal(before);
  }

  /**
   * A fresh hub governed by the deployer, the node's first account, the Safe and the timelock, recorded with
   * `governance`; A's outflow queued over its limit (not tripped) and C's tripping the breaker (held).
   */
  async function tripped(governance: { kind: "direct" | "safe" | "timelock"; address: string }) {
    const q = await deployQueuedProtocol(chain, GUARDIAN_PAUSE);
    for (const account of [accounts[0]!, safe.target, timelock.target]) {
      await send(q.hub, "grantRole", ROLES.GOVERNANCE_ROLE, account);
    }
    writeTestDeployment(deployments(), {
      chainId: 31337,
      hub: q.hub.target as string,
      protected: [q.mock.target as string],
      governance,
      guardians: [q.keeper.address],
    });
    const user = accounts[9]!;
    const queued = await q.outflow("A", user, 150n * E18);
    const trip = await q.outflow("C", user, 150n * E18);
    expect([queued.tripped, trip.tripped]).to.deep.equal([false, true]);
    return { q, user, queued: queued.id, held: trip.id };
  }

  const standing = async (q: QueuedProtocol, id: bigint) =>
    (await q.mock.getFunction("queuedStanding")(id)) as [boolean, boolean];
  const entry = async (q: QueuedProtocol, id: bigint) =>
    (await q.mock.getFunction("queuedOutflow")(id)) as { status: bigint };

  before(async function () {
    chain = await startTestChain([]);
    accounts = (await chain.node.rpc<string[]>("eth_accounts")).map((a) => getAddress(a));
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    safe = await deploySafe(deployer, accounts.slice(3, 6), 2);
    timelock = await deployTimelock(deployer, DELAY, [accounts[6]!], [accounts[7]!]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-approve-"));
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("--help names the task among its siblings, with an example", async function () {
    const help = await ok(["queue", "approve", "--help"]);
    expect(help).to.contain("Governance approves queued outflows held because they tripped the breaker");
    expect(help).to.contain("Example: npx hardhat --network localhost cordon queue approve --id 3,4 --via safe");
    expect(help).to.match(/--id\s+Comma-separated ids of queued outflows held for approval/);
    expect(help).to.match(/--export\s+With --via safe/);
    expect(await ok(["queue", "--help"])).to.match(/cordon queue approve\s+Governance approves/);
  });

  it("a held outflow: claim is refused naming the approve command; an id that is not held is refused naming it", async function () {
    const { q, queued, held } = await tripped({ kind: "safe", address: safe.target as string });
    const target = q.mock.target as string;

    await refused(
      ["queue", "claim", "--id", `${held}`],
      `queued outflow ${held} of ${target} tripped the breaker: it is held until governance approves it`,
      `governance must approve it first: npx hardhat cordon queue approve --id ${held} --contract ${target}`,
    );
    await refused(
      ["queue", "approve", "--id", `${held},${queued}`, "--via", "safe"],
      `queued outflow ${queued} of ${target} is not held for approval`,
      "it did not trip the breaker: its recipient (or anyone) claims it once released (cordon queue claim)",
    );
    await refused(
      ["queue", "approve", "--id", "99", "--via", "safe"],
      `queued outflow 99 of ${target} does not exist`,
      "pick an id that `cordon queue list` shows held for approval",
    );
    await refused(
      ["queue", "approve", "--id", `${held},${held}`, "--via", "safe"],
      `--id lists queued outflow ${held} twice`,
      "name each id once",
    );
    await refused(
      ["queue", "approve", "--id", `${held}`, "--contract", q.tokens.A.target as string],
      `${q.tokens.A.target} is not a protected contract of the hub ${q.hub.target}`,
      `use one of ${target}`,
      "fix: ",
    );

    // A pause of A's scope voids A's outflow: still not held, and named as voided.
    await send(q.hub.connect(q.keeper) as Contract, "pauseScopes", 1n << BigInt(q.scopes.A), 0x0101);
    await refused(
      ["queue", "approve", "--id", `${queued}`],
      `queued outflow ${queued} of ${target} is not held for approval`,
      "it was voided by a later pause, not held by a trip",
    );

    // Cancelled: no longer pending.
    await ok(["queue", "cancel", "--id", `${queued}`, "--via", "safe"]);
    expect((await entry(q, queued)).status).to.equal(STATUS.Cancelled);
    await refused(
      ["queue", "approve", "--id", `${queued}`],
      `queued outflow ${queued} of ${target} is not held for approval: it is Cancelled`,
      "only a pending outflow that tripped the breaker waits for approval",
    );
    expect(await standing(q, held)).to.deep.equal([false, true]);
  });

  it("a 2-of-3 Safe: dry run and export send nothing; the Safe approves; the claim then pays once the pause ends", async function () {
    const { q, user, held } = await tripped({ kind: "safe", address: safe.target as string });
    const nonce = (await safe.getFunction("nonce")()) as bigint;
    const before = await chainFingerprint(chain, accounts);

    const dry = await ok(["queue", "approve", "--id", `${held}`, "--via", "safe", "--dry-run"]);
    expect(dry).to.contain(`approve queued outflow(s) ${held} of ${q.mock.target} via safe: simulation ok`);
    expect(dry).to.contain("dry run: nothing was sent");

    const batchFile = path.join(dir, "approve-batch.json");
    await ok(["queue", "approve", "--id", `${held}`, "--via", "safe", "--export", batchFile]);
    const batch = JSON.parse(readFileSync(batchFile, "utf8")) as TransactionBuilderBatch;
    expect(batch.meta.createdFromSafeAddress).to.equal(safe.target);
    expect(batch.transactions.map((t) => t.to)).to.deep.equal([q.hub.target]);
    const decoded = governanceHubInterface.parseTransaction({ data: batch.transactions[0]!.data! });
    expect(decoded?.name).to.equal("approveQueued");
    expect([...(decoded!.args[1] as bigint[])]).to.deep.equal([held]);
    expect(await chainFingerprint(chain, accounts)).to.equal(before);
    expect(await standing(q, held)).to.deep.equal([false, true]);

    const sent = await ok(["queue", "approve", "--id", `${held}`, "--via", "safe"]);
    expect(sent).to.contain("2 of 3 owners");
    expect(await safe.getFunction("nonce")()).to.equal(nonce + 1n);
    expect(await standing(q, held)).to.deep.equal([false, false]);
    expect((await entry(q, held)).status).to.equal(STATUS.Pending);
    expect(await ok(["queue", "list"])).to.not.contain("held for approval");

    // Approving it again is refused: it is no longer held.
    await refused(
      ["queue", "approve", "--id", `${held}`, "--via", "safe"],
      `queued outflow ${held} of ${q.mock.target} is not held for approval`,
      "it did not trip the breaker",
    );

    // Approved, it still waits for its scope's pause to end; then anyone claims it for its recipient.
    await chain.node.rpc("evm_increaseTime", [GUARDIAN_PAUSE + 1]);
    await chain.node.rpc("evm_mine");
    const balance = (await q.tokens.C.getFunction("balanceOf")(user)) as bigint;
    expect(await ok(["queue", "claim", "--id", `${held}`, "--from", accounts[2]!])).to.contain(
      "via direct: simulation ok",
    );
    expect((await entry(q, held)).status).to.equal(STATUS.Claimed);
    expect(await q.tokens.C.getFunction("balanceOf")(user)).to.equal(balance + 150n * E18);
  });

  it("a TimelockController: the approval is scheduled, refused early, and executed after the delay", async function () {
    const { q, held } = await tripped({ kind: "timelock", address: timelock.target as string });
    const scheduled = await ok(["queue", "approve", "--id", `${held}`, "--via", "timelock"]);
    expect(scheduled).to.contain("NOT executed yet");
    expect(await standing(q, held)).to.deep.equal([false, true]);

    const early = await cordon(["queue", "approve", "--id", `${held}`, "--via", "timelock", "--execute"]);
    expect(early.code).to.equal(2);
    expect(early.stderr).to.contain(
      `approve queued outflow(s) ${held} of ${q.mock.target} is scheduled on the timelock`,
    );
    expect(early.stderr).to.contain("Nothing was sent");

    await chain.node.rpc("evm_increaseTime", [DELAY]);
    await chain.node.rpc("evm_mine");
    expect(await ok(["queue", "approve", "--id", `${held}`, "--via", "timelock", "--execute"])).to.contain(
      "executed timelock operation",
    );
    expect(await standing(q, held)).to.deep.equal([false, false]);
  });

  it("a direct signer: a stranger is refused in plain words and nothing is sent; governance approves", async function () {
    const { q, held } = await tripped({ kind: "direct", address: accounts[0]! });
    const before = await chainFingerprint(chain, accounts);
    const stranger = await cordon(["queue", "approve", "--id", `${held}`, "--from", accounts[2]!]);
    expect(stranger.code).to.equal(2);
    expect(stranger.stderr).to.contain(`${accounts[2]} does not hold GOVERNANCE_ROLE`);
    expect(stranger.stderr).to.contain("Nothing was sent");
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    const sent = await ok(["queue", "approve", "--id", `${held}`, "--from", accounts[0]!]);
    expect(sent).to.contain(`approve queued outflow(s) ${held} of ${q.mock.target} via direct: simulation ok`);
    expect(await standing(q, held)).to.deep.equal([false, false]);
  });
});
