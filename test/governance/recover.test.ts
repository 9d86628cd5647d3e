import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, ContractFactory, type EventLog, getAddress } from "ethers";

import { ROLES } from "@cordon/keeper/governance/abi.js";
import { readStatus, renderStatus } from "@cordon/keeper/governance/status.js";
import type { TransactionBuilderBatch } from "@cordon/keeper/governance/tx-builder.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { type CliOutcome, chainFingerprint, runCordon, writeTestDeployment } from "../support/cordon-cli.js";
import { send } from "../support/deploy.js";
import { E18, type QueuedProtocol, deployQueuedProtocol } from "../support/queued.js";
import { deploySafe } from "../support/safe.js";
import { deployTimelock } from "../support/timelock.js";

const require = createRequire(import.meta.url);
const DELAY = 60;
const STATUS = { Pending: 1n, Cancelled: 3n } as const;
const RECOVERY = 2n;

/** Safe's MultiSendCallOnly (1.5.0, from the npm package's build artifact). */
async function deployMultiSend(chain: TestChain): Promise<string> {
  const file = path.join(
    path.dirname(require.resolve("@safe-global/safe-smart-account/package.json")),
    "build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
  );
  const { abi, bytecode } = JSON.parse(readFileSync(file, "utf8")) as { abi: unknown[]; bytecode: string };
  const deployer = await chain.wallet(TEST_KEYS.deployer);
  const contract = await new ContractFactory(abi as never, bytecode, deployer).deploy();
  await contract.waitForDeployment();
  return contract.target as string;
}

describe("cordon recover cancels what the trip queued, in the same governance transaction (Safe, timelock, direct)", function () {
  this.timeout(240_000);
  let chain: TestChain;
  let accounts: string[];
  let safe: Contract;
  let timelock: Contract;
  let multiSend: string;
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

  /**
   * A fresh hub governed by the deployer, the node's first account, the Safe and the timelock, recorded with
   * `governance`; A's outflow queued (not tripped) and C's tripping the breaker (held).
   */
  async function tripped(governance: { kind: "direct" | "safe" | "timelock"; address: string; multiSend?: string }) {
    const q = await deployQueuedProtocol(chain);
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
    return { q, queued: queued.id, held: trip.id };
  }

  const entry = async (q: QueuedProtocol, id: bigint) =>
    (await q.mock.getFunction("queuedOutflow")(id)) as { status: bigint };
  const standing = async (q: QueuedProtocol, id: bigint) =>
    (await q.mock.getFunction("queuedStanding")(id)) as [boolean, boolean];

  /** The transaction that entered Recovery, and the one(s) that cancelled queued outflows. */
  async function transactions(q: QueuedProtocol): Promise<{ recovery: string[]; cancels: string[] }> {
    const recovery = (await q.hub.queryFilter(q.hub.filters.RecoveryEntered!())) as EventLog[];
    const cancels = (await q.mock.queryFilter(q.mock.filters.QueuedOutflowCancelled!())) as EventLog[];
    return { recovery: recovery.map((e) => e.transactionHash), cancels: cancels.map((e) => e.transactionHash) };
  }

  before(async function () {
    chain = await startTestChain([]);
    accounts = (await chain.node.rpc<string[]>("eth_accounts")).map((a) => getAddress(a));
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    safe = await deploySafe(deployer, accounts.slice(3, 6), 2);
    timelock = await deployTimelock(deployer, DELAY, [accounts[6]!], [accounts[7]!]);
    multiSend = await deployMultiSend(chain);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-recover-"));
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("a 2-of-3 Safe: one Safe transaction enters Recovery and cancels the tripped outflow, and only it", async function () {
    const { q, queued, held } = await tripped({ kind: "safe", address: safe.target as string, multiSend });
    const nonce = (await safe.getFunction("nonce")()) as bigint;

    const before = await chainFingerprint(chain, accounts);
    const dry = await ok(["recover", "--via", "safe", "--dry-run"]);
    expect(dry).to.contain("the trip queued 1 outflow(s) held for governance's approval:");
    expect(dry).to.contain(`#${held} of ${q.mock.target}: ${150n * E18} of ${q.tokens.C.target}`);
    expect(dry).to.contain("cancelling them in the same governance transaction (pass --keep-tripped");
    expect(dry).to.contain(
      `enter Recovery from a new checkpoint (SECURITY_DRAIN), then cancel queued outflow(s) ${held} of ${q.mock.target} via safe (2 calls in one transaction): simulation ok`,
    );
    expect(dry).to.contain("dry run: nothing was sent");

    const batchFile = path.join(dir, "recover-batch.json");
    await ok(["recover", "--via", "safe", "--export", batchFile]);
    const batch = JSON.parse(readFileSync(batchFile, "utf8")) as TransactionBuilderBatch;
    expect(batch.transactions.map((t) => t.to)).to.deep.equal([q.hub.target, q.hub.target]);
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    const sent = await ok(["recover", "--via", "safe"]);
    expect(sent).to.contain("2 of 3 owners");
    expect(await q.hub.getFunction("state")()).to.equal(RECOVERY);
    expect((await entry(q, held)).status).to.equal(STATUS.Cancelled);
    expect((await entry(q, queued)).status).to.equal(STATUS.Pending);
    expect(await safe.getFunction("nonce")()).to.equal(nonce + 1n);
    const txs = await transactions(q);
    expect(txs.cancels).to.deep.equal(txs.recovery);
    expect(txs.recovery).to.have.length(1);
    // Nothing held is left to cancel, and a second recovery is refused in plain words.
    const again = await cordon(["recover", "--via", "safe", "--dry-run"]);
    expect(again.code).to.equal(2);
    expect(again.stdout).to.not.contain("the trip queued");
    expect(again.stderr).to.contain("Nothing was sent");
  });

  it("a Safe with no MultiSendCallOnly is refused before signing; a wrong one fails the batch simulation; --keep-tripped keeps it held", async function () {
    const { q, held } = await tripped({ kind: "safe", address: safe.target as string });
    const before = await chainFingerprint(chain, accounts);
    const nonce = (await safe.getFunction("nonce")()) as bigint;

    const missing = await cordon(["recover", "--via", "safe"]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain("2 calls in one Safe transaction need a MultiSendCallOnly, and none is recorded");
    expect(missing.stderr).to.contain("governance.multiSend");
    expect(missing.stderr).to.contain("Nothing was sent");

    writeTestDeployment(deployments(), {
      chainId: 31337,
      hub: q.hub.target as string,
      protected: [q.mock.target as string],
      governance: { kind: "safe", address: safe.target as string, multiSend: q.tokens.A.target as string },
      guardians: [q.keeper.address],
    });
    const wrong = await cordon(["recover", "--via", "safe"]);
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.contain("would fail from the Safe");
    expect(wrong.stderr).to.contain("the call reverted without a reason");
    expect(wrong.stderr).to.contain("Nothing was sent");
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    const kept = await ok(["recover", "--via", "safe", "--keep-tripped"]);
    expect(kept).to.contain("--keep-tripped: they stay held");
    expect(kept).to.match(/enter Recovery from a new checkpoint \(SECURITY_DRAIN\) via safe: simulation ok/);
    expect(await q.hub.getFunction("state")()).to.equal(RECOVERY);
    expect(await standing(q, held)).to.deep.equal([false, true]);
    expect(await safe.getFunction("nonce")()).to.equal(nonce + 1n);
    const table = renderStatus(await readStatus(chain.provider, q.hub.target as string));
    expect(table).to.match(new RegExp(`#${held} .*held for approval`));
  });

  it("a TimelockController: one batch operation is scheduled, refused early, and executed after the delay", async function () {
    const { q, queued, held } = await tripped({ kind: "timelock", address: timelock.target as string });
    const scheduled = await ok(["recover", "--via", "timelock"]);
    expect(scheduled).to.contain("(2 calls in one transaction)");
    expect(scheduled).to.contain("NOT executed yet");
    expect((await entry(q, held)).status).to.equal(STATUS.Pending);

    const early = await cordon(["recover", "--via", "timelock", "--execute"]);
    expect(early.code).to.equal(2);
    expect(early.stderr).to.match(/then cancel queued outflow\(s\) \d+ of \S+ is scheduled on the timelock/);
    expect(early.stderr).to.contain("Nothing was sent");

    await chain.node.rpc("evm_increaseTime", [DELAY]);
    await chain.node.rpc("evm_mine");
    expect(await ok(["recover", "--via", "timelock", "--execute"])).to.contain("executed timelock operation");
    expect(await q.hub.getFunction("state")()).to.equal(RECOVERY);
    expect((await entry(q, held)).status).to.equal(STATUS.Cancelled);
    expect((await entry(q, queued)).status).to.equal(STATUS.Pending);
    const txs = await transactions(q);
    expect(txs.cancels).to.deep.equal(txs.recovery);
  });

  it("a direct signer: a stranger is refused in plain words; governance sends the two calls one after another", async function () {
    const { q, held } = await tripped({ kind: "direct", address: accounts[0]! });
    const before = await chainFingerprint(chain, accounts);
    const stranger = await cordon(["recover", "--via", "direct", "--from", accounts[2]!]);
    expect(stranger.code).to.equal(2);
    expect(stranger.stderr).to.contain(`${accounts[2]} does not hold GOVERNANCE_ROLE`);
    expect(stranger.stderr).to.contain("Nothing was sent");
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    const sent = await ok(["recover", "--via", "direct", "--from", accounts[0]!]);
    expect(sent).to.contain("(2 calls, sent one after another)");
    expect(sent).to.contain("a direct signer cannot batch: 2 transactions were sent one after another");
    expect(await q.hub.getFunction("state")()).to.equal(RECOVERY);
    expect((await entry(q, held)).status).to.equal(STATUS.Cancelled);
  });
});
