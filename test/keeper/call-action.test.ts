/**
 * The `call` action on a protocol Cordon did not write and that has no CordonHub: an OpenZeppelin `Pausable` vault
 * whose `pause()` an `AccessManager` restricts, the keeper's key granted the manager's role for it. The keeper runs as
 * its own process against a `hardhat node` behind three endpoints (quorum 2). A drain (two large withdrawals in one
 * block) is paused within one block with exactly one transaction; a later finding while paused is skipped because
 * the `done` check (`paused() == true`) holds for a quorum and a proof. `--check` says what the target requires and
 * simulates the pause from the key: it would go through, and for a key without the role, why not in words. Two
 * keepers sharing the key send one pause between them, and their incidents close once governance unpauses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { readFileSync } from "node:fs";

import { type Contract, ContractFactory, Interface, Wallet } from "ethers";

import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { deploy, send } from "../support/deploy.js";

/** Deploys contract `name` of the mocks' `file` (one file may hold several contracts). */
async function deployOf(wallet: Wallet, file: string, name: string, args: unknown[]): Promise<Contract> {
  const artifact = JSON.parse(
    readFileSync(path.resolve("artifacts/contracts/mocks", file, `${name}.json`), "utf8"),
  ) as {
    abi: unknown[];
    bytecode: string;
  };
  const contract = await new ContractFactory(artifact.abi as never, artifact.bytecode, wallet).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

const E18 = 10n ** 18n;
/** The AccessManager role the vault's `pause()` is given to. */
const PAUSER_ROLE = 7n;

interface ManagedProtocol {
  deployer: Wallet;
  token: Contract;
  manager: Contract;
  vault: Contract;
  keeper: Wallet;
  attacker: Wallet;
}

async function deployManagedProtocol(chain: TestChain): Promise<ManagedProtocol> {
  const deployer = await chain.wallet(TEST_KEYS.deployer);
  const keeper = new Wallet(TEST_KEYS.keeper);
  await chain.wallet(TEST_KEYS.keeper);
  const attacker = await chain.wallet(TEST_KEYS.outsider);
  const token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
  const manager = await deployOf(deployer, "ManagedPausableVault.sol", "ProtocolAccessManager", [deployer.address]);
  const vault = await deployOf(deployer, "ManagedPausableVault.sol", "ManagedPausableVault", [
    token.target,
    manager.target,
  ]);
  const selectors = new Interface(["function pause()", "function unpause()"]).fragments.map(
    (f) => (f as unknown as { selector: string }).selector,
  );
  await send(manager, "setTargetFunctionRole", vault.target, selectors, PAUSER_ROLE);
  await send(manager, "grantRole", PAUSER_ROLE, keeper.address, 0);
  await send(manager, "grantRole", PAUSER_ROLE, deployer.address, 0);
  await send(token, "mint", vault.target, 100_000n * E18);
  return { deployer, token, manager, vault, keeper, attacker: attacker.connect(chain.provider) as Wallet };
}

function config(chain: TestChain, protocol: ManagedProtocol, dataDir: string): string {
  return `# written by the test, as a keeper would
dataDir: ${dataDir}
networks:
  local:
    chainId: 31337
    endpoints:
${chain.proxies.map((p) => `      - { name: ${p.name}, url: "${p.url}", timeoutMs: 1000 }`).join("\n")}
    pollIntervalMs: 100
    startBlock: latest
keys:
  pauser: { env: PAUSER_KEY }
protocols:
  managed:
    network: local
    contracts:
      usdc: "${String(protocol.token.target)}"
      vault: "${String(protocol.vault.target)}"
      attacker: "${protocol.attacker.address}"
    detectors: [big-withdrawal, loot-moved]
detectors:
  big-withdrawal: { kind: large-transfer, token: usdc, from: vault, threshold: 500e18, severity: critical, action: pause-vault }
  loot-moved: { kind: large-transfer, token: usdc, from: attacker, threshold: 500e18, severity: critical, action: pause-vault }
actions:
  pause-vault:
    kind: call
    contract: vault
    function: pause()
    done: { call: paused(), equals: true }
    requires: role ${PAUSER_ROLE} of the vault's AccessManager for pause()
    key: pauser
    emergencyFeeCeilingGwei: 200
`;
}

describe("cordon watch: a call action on an OpenZeppelin Pausable behind an AccessManager, no hub", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let protocol: ManagedProtocol;
  let dir: string;
  let file: string;

  before(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    protocol = await deployManagedProtocol(chain);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-call-"));
    file = path.join(dir, "keeper.yml");
    writeFileSync(file, config(chain, protocol, path.join(dir, "data")));
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("--check says what the vault requires and that the pause would go through from the key", async function () {
    const run = runKeeper(["--config", file, "--check"], { PAUSER_KEY: TEST_KEYS.keeper });
    const code = await run.exited;
    const out = run.text();
    expect(code, out).to.equal(0);
    expect(out).to.include("protocol managed: no hub");
    expect(out).to.include(`requires: role ${PAUSER_ROLE} of the vault's AccessManager for pause()`);
    expect(out).to.match(/simulated pause\(\) on 0x[0-9a-fA-F]{40} from 0x[0-9a-fA-F]{40}: it would go through/);
    expect(out).to.not.include("MISSING");
  });

  it("--check names a key the AccessManager refuses, in words, and exits 2", async function () {
    const outsider = new Wallet(TEST_KEYS.outsider);
    const run = runKeeper(["--config", file, "--check"], { PAUSER_KEY: TEST_KEYS.outsider });
    const code = await run.exited;
    const out = run.text();
    expect(code, out).to.equal(2);
    expect(out).to.include(
      `pause() on ${String(protocol.vault.target)} would not go through from ${outsider.address}: the AccessManager does not let ${outsider.address} call this function`,
    );
  });

  it("pauses the drain within one block with one transaction, and skips a later finding while paused", async function () {
    const keeperProcess = runKeeper(["--config", file], { PAUSER_KEY: TEST_KEYS.keeper });
    try {
      await keeperProcess.waitFor((l) => l.event === "network-ready");
      await chain.node.rpc("evm_setAutomine", [false]);
      await chain.node.rpc("evm_setIntervalMining", [1000]);
      // The drain: two large withdrawals in one block.
      const { attacker, vault, token } = protocol;
      const withdraw = vault.connect(attacker) as Contract;
      const first = await chain.provider.getTransactionCount(attacker.address);
      const a = await withdraw.getFunction("withdraw")(attacker.address, 1_000n * E18, { nonce: first });
      const b = await withdraw.getFunction("withdraw")(attacker.address, 2_000n * E18, { nonce: first + 1 });
      const [ra, rb] = await Promise.all([a.wait(), b.wait()]);
      expect(ra.blockNumber, "one block").to.equal(rb.blockNumber);
      const exploitBlock = Number(ra.blockNumber);

      const action = await keeperProcess.waitFor((l) => l.event === "action" && l.status === "mined", 30_000);
      expect(Number(action.block) - exploitBlock, "paused in the block after the drain").to.be.at.most(1);
      expect(await vault.getFunction("paused")()).to.equal(true);
      // The second withdrawal's finding: the goal is reached, proven; no second transaction.
      const skipped = await keeperProcess.waitFor((l) => l.event === "action" && l.status === "skipped", 10_000);
      expect(skipped.note).to.equal("already done");

      // Later, while paused: the loot moves on (a finding of another detector with the same action): skipped.
      const moved = Number(
        (
          await (
            await (token.connect(attacker) as Contract).getFunction("transfer")(
              Wallet.createRandom().address,
              900n * E18,
            )
          ).wait()
        ).blockNumber,
      );
      const later = await keeperProcess.waitFor(
        (l) => l.event === "action" && l.status === "skipped" && l !== skipped,
        15_000,
      );
      expect(later.note).to.equal("already done");
      const proven = keeperProcess.logs.filter((l) => l.event === "responder-proven-read");
      expect(proven.length, "each skip rests on a proof").to.be.at.least(2);
      expect(proven.every((l) => l.holds === true)).to.equal(true);
      expect(moved).to.be.greaterThan(exploitBlock);
      const sent = Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
      expect(sent, "one transaction from the keeper").to.equal(1);

      keeperProcess.child.kill("SIGTERM");
      expect(await keeperProcess.exited, keeperProcess.text()).to.equal(0);
      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const incidents = store.incidents();
        expect(incidents, "one incident").to.have.length(1);
        expect(incidents[0]!.actionStatus).to.equal("mined");
        expect(incidents[0]!.hub.toLowerCase(), "recorded against the vault").to.equal(
          String(vault.target).toLowerCase(),
        );
      } finally {
        store.close();
      }
    } finally {
      keeperProcess.child.kill("SIGKILL");
    }
  });

  it("two keepers sharing the key send one transaction between them", async function () {
    const { vault, attacker, deployer } = protocol;
    const resumed = Number(
      (await (await (vault.connect(deployer) as Contract).getFunction("unpause")()).wait()).blockNumber,
    );
    expect(await vault.getFunction("paused")()).to.equal(false);
    const before = await chain.provider.getTransactionCount(protocol.keeper.address);
    const keepers = ["one", "two"].map((name) => {
      const own = path.join(dir, `${name}.yml`);
      writeFileSync(own, config(chain, protocol, path.join(dir, `data-${name}`)));
      return runKeeper(["--config", own], { PAUSER_KEY: TEST_KEYS.keeper });
    });
    try {
      await Promise.all(keepers.map((k) => k.waitFor((l) => l.event === "network-ready")));
      const drained = Number(
        (
          await (
            await (vault.connect(attacker) as Contract).getFunction("withdraw")(attacker.address, 3_000n * E18)
          ).wait()
        ).blockNumber,
      );
      expect(drained).to.be.greaterThan(resumed);
      const outcomes = await Promise.all(keepers.map((k) => k.waitFor((l) => l.event === "action", 30_000)));
      expect(
        outcomes.map((o) => o.status),
        JSON.stringify(outcomes),
      ).to.include("mined");
      for (const o of outcomes) expect(["mined", "skipped"]).to.include(o.status);
      expect(await vault.getFunction("paused")()).to.equal(true);
      await new Promise((r) => setTimeout(r, 1500)); // a block more: a second transaction would be mined by now
      const after = await chain.provider.getTransactionCount(protocol.keeper.address);
      expect(after - before, "one transaction across the two keepers").to.equal(1);
      // Governance resumes the vault: its done check no longer holds, and each keeper's incident closes.
      // Signed here and sent straight to the node: no ethers poll is left running when the chain stops.
      const unpause = await deployer.populateTransaction({
        to: String(vault.target),
        data: vault.interface.encodeFunctionData("unpause"),
      });
      await chain.node.rpc("eth_sendRawTransaction", [await deployer.signTransaction(unpause)]);
      const closed = await Promise.all(keepers.map((k) => k.waitFor((l) => l.event === "incident-closed", 10_000)));
      expect(closed.map((l) => l.protocol)).to.deep.equal(["managed", "managed"]);
    } finally {
      for (const k of keepers) k.child.kill("SIGKILL");
    }
  });
});
