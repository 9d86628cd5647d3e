import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, getAddress } from "ethers";

import { ROLES } from "@cordon/keeper/governance/abi.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { type CliOutcome, chainFingerprint, runCordon, writeTestDeployment } from "../support/cordon-cli.js";
import { send } from "../support/deploy.js";
import { E18, type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";
import { deploySafe } from "../support/safe.js";

const SECURITY_DRAIN = 0x0101;

/**
 * The governance operations as an operator runs them (child processes against a hardhat node), with a 2-of-3 Safe
 * and a direct signer both holding GOVERNANCE_ROLE: set a limit, queue outflows and claim or cancel them, change the
 * guardians, unpause, and shut down.
 */
describe("cordon set-limit, queue, guardians, unpause and shutdown against a hardhat node", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let safe: Contract;
  let dir: string;
  let accounts: string[];
  let governor: string;
  let outsider: string;
  /** The depositor whose queued withdrawals are claimed and cancelled (not a node account: it signs locally). */
  let depositor: string;

  const cordon = (...args: string[]): Promise<CliOutcome> => runCordon(chain.node.url, path.join(dir, "d"), args);
  const ok = (outcome: CliOutcome) => {
    expect(outcome.code, `${outcome.stdout}${outcome.stderr}`).to.equal(0);
    return outcome.stdout;
  };
  const state = async () => (await protocol.hub.getFunction("state")()) as bigint;

  before(async function () {
    chain = await startTestChain([]);
    protocol = await deploySampleProtocol(chain);
    accounts = (await chain.node.rpc<string[]>("eth_accounts")).map((a) => getAddress(a));
    governor = accounts[0]!;
    outsider = accounts[2]!;
    depositor = (await chain.wallet(TEST_KEYS.deployer)).address;
    await send(protocol.vault, "setFlawed", false);
    safe = await deploySafe(await chain.wallet(TEST_KEYS.deployer), accounts.slice(3, 6), 2);
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, governor);
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, safe.target);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-operations-"));
    writeTestDeployment(path.join(dir, "d"), {
      chainId: 31337,
      hub: protocol.hub.target as string,
      protected: [protocol.vault.target as string],
      governance: { kind: "safe", address: safe.target as string },
      guardians: [protocol.keeper.address],
    });
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("set-limit: a dry run changes nothing; then the limit is set in token units", async function () {
    const args = ["set-limit", "--token", protocol.token.target as string, "--scope", "1", "--capacity", "1000"];
    args.push("--window", "86400", "--large-threshold", "500", "--policy", "queue", "--queue-delay", "3600");
    const before = await chainFingerprint(chain, accounts);
    expect(ok(await cordon(...args, "--dry-run"))).to.contain("dry run: nothing was sent");
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    const out = ok(await cordon(...args));
    expect(out).to.contain(
      `set the USDC outflow limit of ${protocol.vault.target}: 1000 per 1 d, scope 1, queue, queue above 500, ` +
        "queue delay 1 h via direct: simulation ok",
    );
    const [params] = (await protocol.vault.getFunction("outflowLimit")(protocol.token.target)) as [
      { scope: bigint; capacity: bigint; largeThreshold: bigint; policy: bigint; queueDelay: bigint },
    ];
    expect([params.scope, params.capacity, params.largeThreshold]).to.deep.equal([1n, 1000n * E18, 500n * E18]);
    expect([params.policy, params.queueDelay]).to.deep.equal([1n, 3600n]);
  });

  it("queue: lists queued withdrawals, refuses an early claim, claims a released one, cancels another", async function () {
    await send(protocol.vault, "withdraw", 600n * E18, depositor, depositor);
    await send(protocol.vault, "withdraw", 700n * E18, depositor, depositor);
    const [listed, early] = await Promise.all([cordon("queue", "list"), cordon("queue", "claim", "--id", "1")]);
    const list = ok(listed);
    expect(list).to.contain(`Queue of ${protocol.vault.target}`).and.contain("2 queued, 2 pending");
    expect(list).to.match(
      new RegExp(`#1 Pending +600\\.0 USDC to ${depositor}, released at \\S+ \\(in (1 h|59 min \\d+ s)\\)`),
    );
    expect(list).to.match(new RegExp(`#2 Pending +700\\.0 USDC to ${depositor}`));
    expect(early.code).to.equal(2);
    expect(early.stderr).to.match(
      /error: claim queued outflow 1 \(600\.0 USDC to 0x\w+\) .* is released at \S+ \(in (59 min|1 h)/,
    );

    await chain.node.rpc("evm_increaseTime", [3600]);
    await chain.node.rpc("evm_mine");
    const balance = (await protocol.token.getFunction("balanceOf")(depositor)) as bigint;
    expect(ok(await cordon("queue", "claim", "--id", "1", "--from", outsider))).to.contain("via direct: simulation ok");
    expect(await protocol.token.getFunction("balanceOf")(depositor)).to.equal(balance + 600n * E18);
    expect(ok(await cordon("queue", "cancel", "--id", "2", "--via", "safe"))).to.contain("2 of 3 owners");

    const json = JSON.parse(ok(await cordon("queue", "list", "--json"))) as {
      entries: { id: string; status: string; amount: string }[];
    };
    expect(json.entries.map((e) => [e.id, e.status, e.amount])).to.deep.equal([
      ["1", "Claimed", `${600n * E18}`],
      ["2", "Cancelled", `${700n * E18}`],
    ]);
  });

  it("guardians: the Safe adds one, adding it again sends nothing, a signer removes it", async function () {
    const guardian = async () => (await protocol.hub.getFunction("hasRole")(ROLES.GUARDIAN_ROLE, outsider)) as boolean;
    expect(ok(await cordon("guardians", "add", "--account", outsider, "--via", "safe"))).to.contain(
      `add guardian ${outsider} via safe: simulation ok`,
    );
    expect(await guardian()).to.equal(true);

    const before = await chainFingerprint(chain, accounts);
    const [again, listed] = await Promise.all([
      cordon("guardians", "add", "--account", outsider),
      cordon("guardians", "list"),
    ]);
    expect(ok(again)).to.contain(`${outsider} is already a guardian: nothing to do, nothing was sent`);
    expect(ok(listed)).to.contain("2 (a resume needs 0)").and.contain(protocol.keeper.address).and.contain(outsider);
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    ok(await cordon("guardians", "remove", "--account", outsider));
    expect(await guardian()).to.equal(false);
  });

  it("unpause: governance lifts a guardian's scope pause, then a protocol-wide one", async function () {
    const asKeeper = protocol.hub.connect(await chain.wallet(TEST_KEYS.keeper)) as Contract;
    await send(asKeeper, "pauseScopes", 1n << 0n, SECURITY_DRAIN);
    expect(await protocol.hub.getFunction("isScopePaused")(0)).to.equal(true);
    expect(ok(await cordon("unpause", "--scopes", "0", "--reason", "MAINTENANCE_PLANNED"))).to.contain(
      "unpause scopes 0 (MAINTENANCE_PLANNED) via direct: simulation ok",
    );
    expect(await protocol.hub.getFunction("isScopePaused")(0)).to.equal(false);

    await send(protocol.hub.connect(await chain.wallet(TEST_KEYS.deployer)) as Contract, "pause", SECURITY_DRAIN);
    expect(await state()).to.equal(1n);
    ok(await cordon("unpause", "--via", "safe"));
    expect(await state()).to.equal(0n);
  });

  it("shutdown: a dry run needs no --yes and sends nothing; with --yes the hub is shut down for good", async function () {
    const before = await chainFingerprint(chain, accounts);
    const dry = ok(await cordon("shutdown", "--dry-run"));
    expect(dry).to.contain("SHUTDOWN IS TERMINAL").and.contain("dry run: nothing was sent");
    expect(await chainFingerprint(chain, accounts)).to.equal(before);

    expect(ok(await cordon("shutdown", "--yes", "--via", "safe"))).to.contain(
      "SHUTDOWN, terminal (SECURITY_DRAIN) via safe: simulation ok",
    );
    expect(await state()).to.equal(3n);
    const again = await cordon("shutdown", "--yes");
    expect(again.code).to.equal(2);
    expect(again.stderr).to.contain("the hub is Shutdown and cannot go to Shutdown");
    expect(again.stderr).to.contain("fix: nothing: Shutdown is final");
  });
});
