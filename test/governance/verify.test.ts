import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { Wallet } from "ethers";

import { type VerifyResult, renderVerification, verifyState } from "@cordon/keeper/governance/verify.js";
import { CordonError } from "@cordon/keeper/errors.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";
import { E18, type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";

const require = createRequire(import.meta.url);
const HARDHAT_CLI = path.join(path.dirname(require.resolve("hardhat/package.json")), "dist/src/cli.js");
const execute = promisify(execFile);

describe("governance/verify: state proven by verified execution of the hub's and the contracts' views, endpoints checked against it", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let checkpointId: bigint;

  const endpoints = () => chain.proxies.map((p) => ({ name: p.name, url: p.url }));
  const verify = (checkpoint?: bigint) =>
    verifyState({ endpoints: endpoints(), hub: protocol.hub.target as string, checkpoint });
  const cells = (result: VerifyResult, name: string) => result.checks.map((c) => c.cells[name]?.status);

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    protocol = await deploySampleProtocol(chain);
    await send(protocol.hub, "checkpoint", 0x0401);
    checkpointId = (await protocol.hub.getFunction("latestCheckpointId")()) as bigint;
  });

  afterEach(function () {
    for (const proxy of chain.proxies) proxy.fault = { kind: "none" };
  });

  after(async function () {
    await chain?.stop();
  });

  it("an honest set: the vault's digest proven by verified execution, the state matches the checkpoint, nobody lied", async function () {
    const result = await verify();
    expect(result.checkpoint.id).to.equal(checkpointId);
    const onChain = (await protocol.hub.getFunction("getCheckpoint")(checkpointId)) as { digest: string };
    expect(result.checkpoint.digest).to.equal(onChain.digest);
    const [current] = (await protocol.hub.getFunction("currentDigest")()) as [string];
    expect(result.current).to.equal(current);
    expect(result.contracts).to.deep.equal([
      {
        address: protocol.vault.target,
        digest: await protocol.vault.getFunction("stateDigest")(),
        invariant: await protocol.vault.getFunction("checkInvariants")(),
        proven: true,
      },
    ]);
    expect(result.matches).to.equal(true);
    expect(result.verdict).to.equal("matches");
    expect(result.liars.size).to.equal(0);
    for (const name of ["a", "b", "c"]) expect(cells(result, name).every((s) => s === "ok")).to.equal(true);
    const table = renderVerification(result);
    expect(table).to.contain(`The state now matches checkpoint ${checkpointId}.`);
    expect(table).to.contain("Every endpoint answered the proven values.");
  });

  it("reads the hub through its views, not its storage slots: a hub whose storage is laid out elsewhere is verified", async function () {
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const guardian = new Wallet(TEST_KEYS.keeper).address;
    const hub = await deploy(deployer, "ShiftedHubMock", "contracts/mocks", [
      deployer.address,
      [guardian],
      86400,
      86400,
    ]);
    const vault = await deploy(deployer, "CordonVault", "contracts/sample", [
      protocol.token.target,
      "Shifted",
      "sv",
      hub.target,
      deployer.address,
    ]);
    await send(hub, "addProtected", vault.target);
    await send(hub, "checkpoint", 0x0401);
    await send(hub, "checkpoint", 0x0401);
    const result = await verifyState({ endpoints: endpoints(), hub: hub.target as string });
    expect(result.checkpoint.id).to.equal(2n);
    const onChain = (await hub.getFunction("getCheckpoint")(2n)) as { digest: string };
    expect(result.checkpoint.digest).to.equal(onChain.digest);
    expect(result.contracts.map((c) => [c.address, c.proven])).to.deep.equal([[vault.target, true]]);
    expect(result.verdict).to.equal("matches");
    expect(result.liars.size).to.equal(0);
  });

  it("names the endpoint that alters eth_call and eth_getStorageAt answers, and still proves the state", async function () {
    chain.proxies[1]!.fault = { kind: "lying", methods: ["eth_call", "eth_getStorageAt"] };
    const result = await verify();
    expect(result.matches).to.equal(true);
    expect([...result.liars.keys()]).to.deep.equal(["b"]);
    const lies = result.liars.get("b")!.join("\n");
    expect(lies).to.contain(`${protocol.vault.target}.stateDigest() (eth_call)`);
    expect(lies).to.contain(`hub.getCheckpoint(${checkpointId}).digest (eth_call)`);
    expect(lies).to.contain(`${protocol.vault.target} storage read by the proven calls`);
    expect(lies).to.contain(`${protocol.hub.target} storage read by the proven calls`);
    expect(cells(result, "a").every((s) => s === "ok")).to.equal(true);
    expect(renderVerification(result)).to.match(/^b LIED:$/m);
  });

  it("names the endpoint whose proofs do not verify, and the one that lies about the block", async function () {
    chain.proxies[2]!.fault = { kind: "lying", methods: ["eth_getProof"] };
    const result = await verify();
    expect(result.matches).to.equal(true);
    expect([...result.liars.keys()]).to.deep.equal(["c"]);
    expect(result.liars.get("c")![0]).to.match(/^eth_getProof 0x[0-9a-f]{40}: invalid proof: /);
    const proofs = result.checks.find((c) => c.item.startsWith("proofs and code of the"))!;
    expect([proofs.cells.a?.status, proofs.cells.b?.status, proofs.cells.c?.status]).to.deep.equal([
      "ok",
      "ok",
      "differs",
    ]);

    chain.proxies[2]!.fault = { kind: "lying" };
    const block = await verify();
    expect(block.block.agreed).to.deep.equal(["a", "b"]);
    expect(block.liars.get("c")![0]).to.match(/^block \d+ hash and state root: answered state root/);
  });

  it("claims nothing when no endpoint serves a valid proof of what the hub's views read", async function () {
    for (const proxy of chain.proxies) proxy.fault = { kind: "lying", methods: ["eth_getProof"] };
    const error = await verify().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CordonError);
    expect((error as CordonError).shortMessage).to.match(
      /^no endpoint gave valid proofs of what hub 0x[0-9a-fA-F]{40}\.latestCheckpointId\(\) reads at block \d+: /,
    );
    expect((error as CordonError).retryable).to.equal(true);
  });

  it("says the state differs from the checkpoint once the books move, and refuses a checkpoint it does not keep", async function () {
    const deployer = new Wallet(TEST_KEYS.deployer).address;
    await send(protocol.token, "mint", deployer, 5n * E18);
    await send(protocol.vault, "deposit", 5n * E18, deployer);
    const result = await verify(checkpointId);
    expect(result.matches).to.equal(false);
    expect(result.liars.size).to.equal(0);
    expect(renderVerification(result)).to.contain(`The state now DIFFERS from checkpoint ${checkpointId}.`);

    const error = await verify(checkpointId + 5n).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CordonError);
    expect((error as CordonError).shortMessage).to.equal(
      `checkpoint ${checkpointId + 5n} is not kept by the hub: it keeps checkpoints 1 to ${checkpointId}`,
    );
  });

  it("the task prints the table, names the liar and exits non-zero", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "cordon-verify-"));
    try {
      mkdirSync(path.join(dir, "cordonTest"));
      writeFileSync(
        path.join(dir, "cordonTest", "cordon.json"),
        JSON.stringify({
          chainId: 31337,
          hub: protocol.hub.target,
          protected: [protocol.vault.target],
          governance: { kind: "direct", address: protocol.keeper.address },
        }),
      );
      await send(protocol.hub, "checkpoint", 0x0401);
      chain.proxies[2]!.fault = { kind: "lying", methods: ["eth_call"] };
      const env = { ...process.env, CORDON_TEST_RPC_URL: chain.proxies[0]!.url, CORDON_DEPLOYMENTS_DIR: dir };
      const args = [
        "--network",
        "cordonTest",
        "cordon",
        "verify-state",
        "--rpc",
        `${chain.proxies[1]!.url},${chain.proxies[2]!.url}`,
      ];
      const outcome = await execute(process.execPath, [HARDHAT_CLI, ...args], { env }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
      expect(outcome.code).to.equal(1);
      expect(outcome.stdout).to.contain(`rpc2 = ${chain.proxies[2]!.url}`);
      expect(outcome.stdout).to.contain("The state now matches checkpoint");
      expect(outcome.stdout).to.match(/^rpc2 LIED:$/m);
      expect(outcome.stdout).to.not.match(/^(cordonTest|rpc1) LIED:$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
