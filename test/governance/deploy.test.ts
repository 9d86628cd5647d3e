import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { Contract, Wallet, getAddress } from "ethers";

import { readDeployParams } from "@cordon/keeper/governance/deploy.js";
import { ROLES, governanceHubInterface, guardedInterface } from "@cordon/keeper/governance/abi.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy } from "../support/deploy.js";
import { deploySafe } from "../support/safe.js";

const require = createRequire(import.meta.url);
const HARDHAT_CLI = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
const execute = promisify(execFile);
const ZERO = "0x0000000000000000000000000000000000000000";

/** Safe 1.4.1's canonical MultiSendCallOnly: recorded for `cordon recover`'s batches. */
const MULTI_SEND = "0x9641d764fc13c8B624c04430C7356C1C7C8102e2";

describe("cordon deploy: the hub and a protocol's configuration through Ignition, idempotent", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let dir: string;
  let token: Contract;
  let safe: Contract;
  let keeper: string;

  /** `npx hardhat --network cordonTest cordon <args>` with journals and records in the test's folder. */
  async function cordon(args: string[], sub = ""): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = {
      ...process.env,
      CORDON_TEST_RPC_URL: chain.node.url,
      CORDON_DEPLOYMENTS_DIR: path.join(dir, sub, "deployments"),
      CORDON_IGNITION_DIR: path.join(dir, sub, "ignition"),
    };
    const argv = [HARDHAT_CLI, "--build-profile", "default", "--network", "cordonTest", "cordon", ...args];
    return await execute(process.execPath, argv, { env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  }

  before(async function () {
    chain = await startTestChain([]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-deploy-"));
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    keeper = new Wallet(TEST_KEYS.keeper).address;
    token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
    const accounts = await chain.node.rpc<string[]>("eth_accounts");
    safe = await deploySafe(deployer, accounts.slice(3, 6), 2);
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("deploys once, sends nothing the second time, hands governance to the Safe; then status works", async function () {
    const params = path.join(dir, "cordon.params.json");
    writeFileSync(
      params,
      JSON.stringify({
        governance: { kind: "safe", address: safe.target, multiSend: MULTI_SEND },
        guardians: [keeper],
        guardianPauseDuration: 2 * 86400,
        guardianCooldown: 3600,
        attestationThreshold: 1,
        protected: [{ id: "vault", contract: "CordonVault", args: [token.target, "Vault", "cv", "$hub", ZERO] }],
        limits: [
          {
            target: "vault",
            asset: token.target,
            scope: 1,
            capacity: "1000000000000000000000",
            window: 86400,
            policy: "queue",
            queueDelay: 3600,
          },
        ],
      }),
    );
    const first = await cordon(["deploy", "--params", params]);
    expect(first.stderr).to.equal("");
    expect(first.code).to.equal(0);
    const recordFile = path.join(dir, "deployments", "cordonTest", "cordon.json");
    const record = JSON.parse(readFileSync(recordFile, "utf8")) as {
      hub: string;
      protected: string[];
      governance: { kind: string; address: string; multiSend?: string };
      guardians: string[];
    };
    expect(record.governance).to.deep.equal({ kind: "safe", address: safe.target, multiSend: MULTI_SEND });
    expect(record.guardians).to.deep.equal([keeper]);
    expect(existsSync(path.join(dir, "ignition", "deployments", "cordon-cordonTest", "journal.jsonl"))).to.equal(true);

    const hub = new Contract(record.hub, governanceHubInterface, chain.provider);
    expect(await hub.getFunction("protectedContracts")()).to.deep.equal(record.protected);
    expect(await hub.getFunction("hasRole")(ROLES.GOVERNANCE_ROLE, safe.target)).to.equal(true);
    const deployerAddress = new Wallet(TEST_KEYS.deployer).address;
    expect(await hub.getFunction("hasRole")(ROLES.GOVERNANCE_ROLE, deployerAddress)).to.equal(false);
    expect(await hub.getFunction("hasRole")(ROLES.GUARDIAN_ROLE, keeper)).to.equal(true);
    const rules = (await hub.getFunction("pauseRules")()) as bigint[];
    expect(rules.slice(0, 3)).to.deep.equal([2n * 86400n, 3600n, 1n]);
    const vault = new Contract(record.protected[0]!, guardedInterface, chain.provider);
    const [limit] = (await vault.getFunction("outflowLimit")(token.target)) as [{ capacity: bigint; policy: bigint }];
    expect(limit.capacity).to.equal(10n ** 21n);
    expect(limit.policy).to.equal(1n);

    const block = await chain.provider.getBlockNumber();
    const again = await cordon(["deploy", "--params", params]);
    expect(again.code).to.equal(0);
    expect(await chain.provider.getBlockNumber()).to.equal(block);
    expect(readFileSync(recordFile, "utf8")).to.equal(JSON.stringify(record, null, 2) + "\n");

    const status = await cordon(["status"]);
    expect(status.code).to.equal(0);
    expect(status.stdout).to.match(/^State\s+Active$/m);
    expect(status.stdout).to.contain(getAddress(record.protected[0]!));
  });

  it("refuses invalid parameters naming the field, and a missing --params, before sending anything", async function () {
    const block = await chain.provider.getBlockNumber();
    const params = path.join(dir, "bad.params.json");
    writeFileSync(
      params,
      JSON.stringify({ guardians: [keeper], attestationThreshold: 2, limits: [{ target: "nope" }] }),
    );
    const bad = await cordon(["deploy", "--params", params]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain(`error: --params ${params} is not a valid Cordon configuration`);
    expect(bad.stderr).to.match(/limits\.0\.asset: /);
    const missing = await cordon(["deploy"]);
    expect(missing.stderr).to.contain("error: cordon deploy needs --params <file>");
    expect(await chain.provider.getBlockNumber()).to.equal(block);
  });

  it("names a limit whose target is not a protected contract, and a threshold above the guardians", function () {
    const params = path.join(dir, "target.params.json");
    const limit = { target: "nope", asset: token.target, scope: 1, capacity: 1, window: 60, policy: "revert" };
    writeFileSync(params, JSON.stringify({ guardians: [keeper], attestationThreshold: 2, limits: [limit] }));
    expect(() => readDeployParams(params)).to.throw(
      'attestationThreshold: 2 is more than the 1 guardians; limits.0.target: "nope" is not a protected contract\'s address or id',
    );
  });

  it("names a guardian cooldown below the hub's minimum instead of an undecoded revert at deploy time", function () {
    const params = path.join(dir, "cooldown.params.json");
    writeFileSync(params, JSON.stringify({ guardians: [keeper], guardianCooldown: 0 }));
    expect(() => readDeployParams(params)).to.throw(/guardianCooldown: .*at least 60 seconds/);
  });

  it("puts a deployed Pausable behind the hub through the shipped CordonPausableAdapter", async function () {
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const protocol = await deploy(deployer, "PausableProtocolMock", "contracts/mocks", []);
    const params = path.join(dir, "pausable.params.json");
    writeFileSync(
      params,
      JSON.stringify({ guardians: [keeper], protected: [{ id: "pool", pausable: { target: protocol.target } }] }),
    );
    const deployed = await cordon(["deploy", "--params", params], "pausable");
    expect(deployed.stderr).to.equal("");
    expect(deployed.code).to.equal(0);
    const record = JSON.parse(
      readFileSync(path.join(dir, "pausable", "deployments", "cordonTest", "cordon.json"), "utf8"),
    ) as { hub: string; protected: string[] };
    const adapter = new Contract(
      record.protected[0]!,
      ["function pausable() view returns (address)", "function cordonHub() view returns (address)"],
      chain.provider,
    );
    expect(await adapter.getFunction("pausable")()).to.equal(protocol.target);
    expect(await adapter.getFunction("cordonHub")()).to.equal(record.hub);

    // The team's admin grants the adapter its pauser role; the guardian's pause then pauses the protocol.
    const role = (await protocol.getFunction("PAUSER_ROLE")()) as string;
    await (await protocol.getFunction("grantRole")(role, adapter.target)).wait();
    const guardian = await chain.wallet(TEST_KEYS.keeper);
    const hub = new Contract(record.hub, governanceHubInterface, guardian);
    await (await hub.getFunction("pause")(0x0101)).wait();
    expect(await protocol.getFunction("paused")()).to.equal(true);
  });

  it("names pause arguments that do not fit the pause function's signature", function () {
    const params = path.join(dir, "pausable-bad.params.json");
    const pausable = {
      target: token.target,
      pause: "setPoolPause(bool)",
      unpause: "setPoolPause(bool)",
      unpauseArgs: [false],
    };
    writeFileSync(params, JSON.stringify({ guardians: [keeper], protected: [{ id: "pool", pausable }] }));
    expect(() => readDeployParams(params)).to.throw(
      /protected\.0\.pausable\.pauseArgs: .*give one value per parameter of setPoolPause\(bool\)/,
    );
    writeFileSync(
      params,
      JSON.stringify({
        guardians: [keeper],
        protected: [{ id: "pool", pausable: { target: token.target, pause: "pause(" } }],
      }),
    );
    expect(() => readDeployParams(params)).to.throw(/protected\.0\.pausable\.pause: not a function signature/);
  });
});
