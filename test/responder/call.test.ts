/**
 * The responder's `call` responses against a real node behind three endpoints (quorum 2): an OpenZeppelin Pausable
 * vault whose `pause()` an AccessManager gives to the keeper's key. Each guarantee of the hub actions, for a contract
 * Cordon did not write: one transaction, a skip only on a quorum and a proof of the done view, a refusal said in
 * words, a done check before each replacement, a new transaction once its own goal is undone, and a resume after a
 * crash.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { AbiCoder, type Contract, ContractFactory, Interface, Wallet, parseUnits } from "ethers";

import type { Response } from "@cordon/keeper/detectors/types.js";
import { CordonError } from "@cordon/keeper/errors.js";
import { Responder } from "@cordon/keeper/responder/responder.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { TamperProxy } from "@cordon/testkit/tamper-proxy.js";
import { deploy, send } from "../support/deploy.js";

const ROLE = 7n;
const vaultAbi = new Interface(["function pause()", "function unpause()", "function paused() view returns (bool)"]);
const TRUE = AbiCoder.defaultAbiCoder().encode(["bool"], [true]);

async function deployMock(wallet: Wallet, name: string, args: unknown[]): Promise<Contract> {
  const file = path.resolve("artifacts/contracts/mocks/ManagedPausableVault.sol", `${name}.json`);
  const { abi, bytecode } = JSON.parse(readFileSync(file, "utf8")) as { abi: unknown[]; bytecode: string };
  const contract = await new ContractFactory(abi as never, bytecode, wallet).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

describe("Responder: call responses on a contract Cordon did not write", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let deployer: Wallet;
  let keeper: Wallet;
  let vault: Contract;
  let dir: string;
  let store: Store;
  let startNonce: number;
  let pause: Extract<Response, { kind: "call" }>;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    deployer = await chain.wallet(TEST_KEYS.deployer);
    keeper = await chain.wallet(TEST_KEYS.keeper);
    await chain.wallet(TEST_KEYS.outsider);
  });

  after(async function () {
    await chain?.stop();
  });

  beforeEach(async function () {
    await chain.node.rpc("evm_setAutomine", [true]);
    const token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
    const manager = await deployMock(deployer, "ProtocolAccessManager", [deployer.address]);
    vault = await deployMock(deployer, "ManagedPausableVault", [token.target, manager.target]);
    const selectors = ["pause", "unpause"].map((f) => vaultAbi.getFunction(f)!.selector);
    await send(manager, "setTargetFunctionRole", vault.target, selectors, ROLE);
    await send(manager, "grantRole", ROLE, keeper.address, 0);
    await send(manager, "grantRole", ROLE, deployer.address, 0);
    const target = String(vault.target);
    pause = {
      kind: "call",
      target,
      data: vaultAbi.encodeFunctionData("pause"),
      description: `pause() on ${target}`,
      done: { target, data: vaultAbi.encodeFunctionData("paused"), equals: TRUE, description: "paused() == true" },
    };
    dir = mkdtempSync(path.join(tmpdir(), "cordon-responder-call-"));
    store = new Store(path.join(dir, "w.db"), 31337);
    startNonce = Number(await chain.node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));
    for (const p of chain.proxies) p.fault = { kind: "none" };
  });

  afterEach(async function () {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    for (const p of chain.proxies) p.fault = { kind: "none" };
    await chain.node.rpc("evm_setAutomine", [true]);
  });

  const keeperNonce = async () =>
    Number(await chain.node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"])) - startNonce;

  function responder(
    options: { key?: string; endpoints?: { name: string; url: string }[]; replaceAfterMs?: number } = {},
    lines?: { event: string; fields: Record<string, unknown> }[],
  ) {
    return new Responder({
      pool: new RpcPool({ endpoints: (options.endpoints ?? chain.proxies).map((p) => ({ name: p.name, url: p.url })) }),
      store,
      protocol: "managed",
      wallet: new Wallet(options.key ?? TEST_KEYS.keeper),
      chainId: 31337n,
      feeCeiling: parseUnits("50", "gwei"),
      emergencyFeeCeiling: parseUnits("500", "gwei"),
      replaceAfterMs: options.replaceAfterMs ?? 2_000,
      giveUpAfterMs: 20_000,
      log: (event, fields) => lines?.push({ event, fields }),
    });
  }

  it("pauses once, then skips on the done view, proven", async function () {
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    const r = responder({}, lines);
    const first = await r.respond(pause, "critical", "drain");
    expect(first.status).to.equal("mined");
    expect(first.key).to.match(new RegExp(`^call:${String(vault.target).toLowerCase()}:[0-9a-f]{16}:g0$`));
    expect(await vault.getFunction("paused")()).to.equal(true);
    const second = await r.respond(pause, "critical", "the same drain, seen again");
    expect(second.status).to.equal("skipped");
    expect(second.note).to.equal("already done");
    expect(lines.find((l) => l.event === "proven-read")?.fields.holds).to.equal(true);
    expect(await keeperNonce(), "one transaction").to.equal(1);
  });

  it("pauses when two endpoints say paused() is true and the proof says it is not", async function () {
    const selector = vaultAbi.getFunction("paused")!.selector;
    const liars = [
      await new TamperProxy(chain.proxies[0]!.url, "a").start(),
      await new TamperProxy(chain.proxies[1]!.url, "b").start(),
    ];
    try {
      for (const liar of liars) {
        liar.tamper = (method, params, result) =>
          method === "eth_call" && String((params[0] as { data?: string }).data).startsWith(selector) ? TRUE : result;
      }
      const lines: { event: string; fields: Record<string, unknown> }[] = [];
      const outcome = await responder({ endpoints: [...liars, chain.proxies[2]!] }, lines).respond(
        pause,
        "critical",
        "drain",
      );
      expect(outcome.status, outcome.note).to.equal("mined");
      expect(await vault.getFunction("paused")()).to.equal(true);
      const contradicted = lines.find((l) => l.event === "proof-contradicts");
      expect(contradicted?.fields.endpoints, JSON.stringify(lines)).to.deep.equal(["a", "b"]);
      expect(contradicted?.fields.holds).to.equal(false);
    } finally {
      for (const liar of liars) await liar.stop();
    }
  });

  it("says in words why the AccessManager refuses a key without the role, and sends nothing", async function () {
    const outsider = new Wallet(TEST_KEYS.outsider);
    let refused: unknown;
    try {
      await responder({ key: TEST_KEYS.outsider }).respond(pause, "critical", "drain");
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(CordonError);
    expect((refused as Error).message).to.include(
      `would refuse the keeper's pause() on ${String(vault.target)}: the AccessManager does not let ${outsider.address} call this function`,
    );
    expect((refused as CordonError).details).to.include(`grantRole(roleId, ${outsider.address}, 0)`);
    expect(Number(await chain.node.rpc<string>("eth_getTransactionCount", [outsider.address, "latest"]))).to.equal(0);
  });

  it("does not refuse on one endpoint's simulation: its revert is outvoted, and it pauses", async function () {
    const refused = new Interface(["error AccessManagedUnauthorized(address)"]).encodeErrorResult(
      "AccessManagedUnauthorized",
      [keeper.address],
    );
    chain.proxies[0]!.fault = { kind: "reverting", methods: ["eth_estimateGas"], data: refused };
    for (const p of chain.proxies.slice(1)) p.fault = { kind: "slow", delayMs: 40 }; // the liar is asked first
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    const outcome = await responder({}, lines).respond(pause, "critical", "drain");
    expect(outcome.status, outcome.note).to.equal("mined");
    expect(lines.find((l) => l.event === "simulation-disputed")?.fields.endpoints).to.deep.equal(["a"]);
    expect(await keeperNonce(), "one transaction").to.equal(1);
  });

  it("checks the goal before each replacement: paused by someone else meanwhile, it stops", async function () {
    // Every endpoint drops the keeper's transactions: nothing of it is ever mined.
    const dropped = AbiCoder.defaultAbiCoder().encode(["string"], ["dropped"]);
    for (const p of chain.proxies) p.fault = { kind: "reverting", methods: ["eth_sendRawTransaction"], data: dropped };
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    const pending = responder({ replaceAfterMs: 500 }, lines).respond(pause, "critical", "drain");
    while (!lines.some((l) => l.event === "sent")) await new Promise((r) => setTimeout(r, 50));
    await send(vault, "pause"); // another guardian, straight to the node
    const outcome = await pending;
    expect(outcome.status).to.equal("skipped");
    expect(outcome.note).to.equal("done by someone else");
    expect(String(lines.find((l) => l.event === "skip")?.fields.why)).to.include("before a replacement");
    expect(store.outboxEntry(outcome.key)?.status).to.equal("skipped");
    expect(await keeperNonce()).to.equal(0);
  });

  it("sends a new transaction once a quorum sees its own goal undone (unpaused since)", async function () {
    const r = responder();
    const first = await r.respond(pause, "critical", "drain");
    expect(first.status).to.equal("mined");
    await send(vault, "unpause");
    const again = await r.respond(pause, "critical", "a second drain after the resume");
    expect(again.status).to.equal("mined");
    expect(again.key).to.equal(first.key.replace(/:g0$/, ":g1"));
    expect(await keeperNonce()).to.equal(2);
    // And once more while paused: skipped, no third transaction.
    expect((await r.respond(pause, "critical", "seen again")).status).to.equal("skipped");
    expect(await keeperNonce()).to.equal(2);
  });

  it("finishes a call decided before a crash, once", async function () {
    const key = `call:${String(vault.target).toLowerCase()}:0123456789abcdef:g0`;
    store.intend(key, { ...pause, protocol: "managed", severity: "critical", why: "drain", from: keeper.address });
    const outcomes = await responder().resumeUnfinished();
    expect(outcomes.map((o) => o.status)).to.deep.equal(["mined"]);
    expect(await vault.getFunction("paused")()).to.equal(true);
    // Another protocol's responder (same key) leaves it alone.
    store.intend(`${key}x`, { ...pause, protocol: "other", severity: "critical", why: "drain", from: keeper.address });
    expect(await responder().resumeUnfinished()).to.deep.equal([]);
    expect(await keeperNonce()).to.equal(1);
  });
});
