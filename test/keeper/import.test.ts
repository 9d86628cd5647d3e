/**
 * `cordon-keeper import`: a sample OpenZeppelin Monitor config directory (test/fixtures/oz-monitor) written as a
 * keeper config, every untranslatable thing named, and the result passing `cordon-keeper --check` against a
 * `hardhat node` behind the two endpoints the Monitor's network names, then finding with `--replay` the event one of
 * its monitors watches for.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { translateExpression } from "@cordon/keeper/keeper/import.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { deploy } from "../support/deploy.js";

const FIXTURE = path.resolve("test/fixtures/oz-monitor");
const HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
/** The address the fixture's ownership monitor watches; the test puts a contract of its chain there. */
const FIXTURE_OWNED = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

describe("cordon-keeper import (OpenZeppelin Monitor)", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let dir: string;

  before(async function () {
    chain = await startTestChain(["a", "b"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-import-"));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("translates expressions to CEL, exact on 256-bit numbers, or says why not", function () {
    const names = { value: "uint256", to: "address" };
    expect(
      translateExpression("value > 0xff AND to == 0x000000000000000000000000000000000000dEaD", names),
    ).to.deep.equal({
      cel: 'value > uint256("255") && to == "0x000000000000000000000000000000000000dEaD"',
    });
    expect(
      translateExpression(
        "value >= 115792089237316195423570985008687907853269984665640564039457584007913129639935",
        names,
      ),
    ).to.deep.equal({
      cel: 'value >= uint256("115792089237316195423570985008687907853269984665640564039457584007913129639935")',
    });
    expect(translateExpression("to == 'x' OR value < 10", names)).to.deep.equal({ cel: "to == 'x' || value < 10" });
    expect(translateExpression("amount > 5", names)).to.have.property("error").that.includes("unknown name: amount");
    expect(translateExpression("to contains 'ab'", names)).to.have.property("error").that.includes("contains");
  });

  it("writes a config that passes --check, naming each thing it could not translate", async function () {
    // The ownership monitor watches a contract of this chain: the fixture, with the address of one deployed here.
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const owned = await deploy(deployer, "AccessMock", "contracts/mocks", []);
    const block = (await owned.deploymentTransaction()!.wait())!.blockNumber;
    const monitor = path.join(dir, "oz", "monitors", "ownership.json");
    cpSync(FIXTURE, path.join(dir, "oz"), { recursive: true });
    writeFileSync(monitor, readFileSync(monitor, "utf8").replace(FIXTURE_OWNED, String(owned.target)));

    const file = path.join(dir, "keeper.yml");
    const imported = runKeeper(["import", path.join(dir, "oz"), "--out", file, "--hub", HUB], {});
    expect(await imported.exited, imported.text()).to.equal(0);
    const out = imported.text();
    expect(out).to.include(`wrote ${file} and 2 ABI file(s)`);
    for (const expected of [
      "networks/stellar_testnet.json: network type Stellar is not an EVM chain; skipped",
      "large_transfer_email: trigger type email has no alert channel here; skipped",
      "expression `to contains 'dead'`: `contains` has no translation yet; the detector was left out",
      "trigger_conditions (filter scripts) not run",
      'monitors/paused_monitor.json: "Old monitor" is paused; skipped',
      "LARGE_TRANSFER_SLACK_SLACK_URL: slack_url of trigger large_transfer_slack (triggers/notifications.json; it was inline, and is not copied)",
    ]) {
      expect(out).to.include(expected);
    }
    const yaml = readFileSync(file, "utf8");
    expect(yaml).to.not.include("hooks.slack.com"); // an inline secret is never copied
    expect(yaml).to.include(
      'condition: value > uint256("1000000000000") && to != "0x0000000000000000000000000000000000000000" && !reverted',
    );
    expect(yaml)
      .to.include("kind: calls")
      .and.include("kind: event")
      .and.include("event: OwnershipTransferred(address,address)");
    expect(JSON.parse(readFileSync(path.join(dir, "abis/ownership-changes-contract1.json"), "utf8"))).to.have.length(1);

    const refused = runKeeper(["import", path.join(dir, "oz"), "--out", file], {});
    expect(await refused.exited).to.equal(2);
    expect(refused.text()).to.include("exists: pass --force");

    const env = {
      LOCAL_RPC_URL_1: chain.proxies[0]!.url,
      LOCAL_RPC_URL_2: chain.proxies[1]!.url,
      LARGE_TRANSFER_SLACK_SLACK_URL: "https://hooks.slack.com/services/T/B/C",
      OPS_WEBHOOK_URL: "https://ops.example.com/hook",
      OPS_WEBHOOK_SECRET: "s3cret",
    };
    const check = runKeeper(["--config", file, "--check"], env);
    const code = await check.exited;
    expect(code, check.text()).to.equal(0);
    expect(check.text()).to.include(`${file}: OK`);
    expect(check.text()).to.include("detector large-transfer-of-usdc-token-calls-transfer (calls)");

    // The imported `event` detector finds the deployment's OwnershipTransferred, as --replay shows.
    const replay = runKeeper(["--config", file, "--replay", String(block)], env);
    expect(await replay.exited, replay.text()).to.equal(0);
    expect(replay.text()).to.include(
      `[medium] ownership-changes/ownership-changes-OwnershipTransferred: OwnershipTransferred(previousOwner=0x0000000000000000000000000000000000000000, newOwner=${deployer.address}) on ${String(owned.target)} in block ${block}`,
    );
  });

  it("refuses a directory that is not a Monitor config", async function () {
    writeFileSync(path.join(dir, "x.json"), "{}");
    const run = runKeeper(["import", dir, "--out", path.join(dir, "other.yml")], {});
    expect(await run.exited).to.equal(2);
    expect(run.text()).to.include("is not an OpenZeppelin Monitor config directory");
  });
});
