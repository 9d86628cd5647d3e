import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, Interface, Transaction, Wallet, parseUnits } from "ethers";

import { CordonError } from "@cordon/keeper/errors.js";
import { Responder } from "@cordon/keeper/responder/responder.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";
import type { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import { TamperProxy } from "@cordon/testkit/tamper-proxy.js";
import { hubInterface } from "@cordon/keeper/contracts/abi.js";
import type { HardhatNode } from "@cordon/testkit/hardhat-node.js";

const { keeper: KEEPER_KEY, outsider: OUTSIDER_KEY } = TEST_KEYS;
const PAUSE = { kind: "pause", reason: 0x0101 } as const;

describe("Responder against a real node", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let node: HardhatNode;
  let proxies: FaultProxy[];
  let deployer: Wallet;
  let keeper: Wallet;
  let dir: string;
  let hub: Contract;
  let store: Store;
  let startNonce: number;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    ({ node, proxies } = chain);
    deployer = await chain.wallet(TEST_KEYS.deployer);
    keeper = await chain.wallet(KEEPER_KEY);
    await chain.wallet(OUTSIDER_KEY);
  });

  after(async function () {
    await chain?.stop();
  });

  beforeEach(async function () {
    await node.rpc("evm_setAutomine", [true]);
    // The hub refuses a guardian cooldown under 60 s (CordonHub's pause rules); the tests pause well inside a day.
    hub = await deploy(deployer, "CordonHub", "contracts/hub", [deployer.address, [keeper.address], 86400, 60]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-responder-"));
    store = new Store(path.join(dir, "w.db"), 31337);
    for (const p of proxies) p.calls.clear();
    startNonce = Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));
  });

  afterEach(async function () {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await node.rpc("evm_setAutomine", [true]);
  });

  const pool = () => new RpcPool({ endpoints: proxies.map((p) => ({ name: p.name, url: p.url })) });
  /** Transactions the keeper's key got mined during this test. */
  const keeperNonce = async () =>
    Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"])) - startNonce;
  const sends = () => proxies.reduce((n, p) => n + p.count("eth_sendRawTransaction"), 0);

  function responder(
    options: {
      key?: string;
      replaceAfterMs?: number;
      s?: Store;
      log?: (event: string, fields: Record<string, unknown>) => void;
    } = {},
  ) {
    return new Responder({
      pool: pool(),
      store: options.s ?? store,
      hub: String(hub.target),
      wallet: new Wallet(options.key ?? KEEPER_KEY),
      chainId: 31337n,
      feeCeiling: parseUnits("50", "gwei"),
      emergencyFeeCeiling: parseUnits("500", "gwei"),
      replaceAfterMs: options.replaceAfterMs ?? 2_000,
      giveUpAfterMs: 20_000,
      log: options.log,
    });
  }

  it("pauses once, then skips: the hub is already paused", async function () {
    const r = responder();
    const first = await r.respond(PAUSE, "high", "drain");
    expect(first.status).to.equal("mined");
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    const second = await r.respond(PAUSE, "critical", "the same drain, seen again");
    expect(second.status).to.equal("skipped");
    expect(await keeperNonce()).to.equal(1);
  });

  it("with a gate, reads at once but decides nothing until it opens: a failed gate leaves no outbox entry and no transaction", async function () {
    const r = responder();
    const reads = () => proxies.reduce((n, p) => n + p.count("eth_call") + p.count("eth_estimateGas"), 0);
    const before = reads();
    let open!: () => void;
    let fail!: (error: Error) => void;
    const gate = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
    const refused = r.respond(PAUSE, "critical", "drain", gate);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reads() - before, "the hub read and the gas estimate went out before the gate").to.be.at.least(2);
    expect(store.unfinished(), "nothing decided yet").to.deep.equal([]);
    expect(sends(), "nothing sent yet").to.equal(0);
    fail(new Error("the chain is not confirmed"));
    const error = await refused.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.equal("the chain is not confirmed");
    expect(store.unfinished()).to.deep.equal([]);
    expect(sends()).to.equal(0);
    expect(await keeperNonce()).to.equal(0);

    const later = new Promise<void>((resolve) => (open = resolve));
    const acting = r.respond(PAUSE, "critical", "drain", later);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sends(), "still nothing sent while the gate is shut").to.equal(0);
    open();
    const outcome = await acting;
    expect(outcome.status, outcome.note).to.equal("mined");
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    expect(await keeperNonce()).to.equal(1);
  });

  it("does not skip on one endpoint's simulation: the quorum says the hub is open, so it pauses", async function () {
    // The best endpoint answers every gas estimate with the revert an already-paused hub gives.
    const alreadyPaused = new Interface(["error CordonInvalidTransition(uint8 from, uint8 to)"]).encodeErrorResult(
      "CordonInvalidTransition",
      [1, 1],
    );
    proxies[0]!.fault = { kind: "reverting", methods: ["eth_estimateGas"], data: alreadyPaused };
    try {
      const outcome = await responder().respond(PAUSE, "critical", "drain");
      expect(outcome.status, outcome.note).to.equal("mined");
      expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
      expect(await keeperNonce()).to.equal(1);
    } finally {
      proxies[0]!.fault = { kind: "none" };
    }
  });

  it("pauses when two endpoints claim the hub is paused and one honest one does not: the skip is proven first", async function () {
    // a and b answer the hub's currentSync() with a paused hub and simulate the pause as "already paused"; their
    // headers and proofs are honest. A quorum (2 of 3) of eth_call says "skip"; the proven read says "open".
    const pausedSync = (real: string) => {
      const [sync] = hubInterface.decodeFunctionResult("currentSync", real);
      return hubInterface.encodeFunctionResult("currentSync", [[1n, ...Array.from(sync as unknown[]).slice(1)]]);
    };
    const selector = hubInterface.getFunction("currentSync")!.selector;
    const alreadyPaused = hubInterface.encodeErrorResult("CordonInvalidTransition", [1, 1]);
    const liars = [
      await new TamperProxy(proxies[0]!.url, "a").start(),
      await new TamperProxy(proxies[1]!.url, "b").start(),
    ];
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    try {
      for (const liar of liars) {
        liar.tamper = (method, params, result) =>
          method === "eth_call" && String((params[0] as { data?: string }).data).startsWith(selector)
            ? pausedSync(String(result))
            : result;
      }
      for (const p of proxies.slice(0, 2))
        p.fault = { kind: "reverting", methods: ["eth_estimateGas"], data: alreadyPaused };
      const r = new Responder({
        pool: new RpcPool({
          endpoints: [...liars, proxies[2]!].map((p) => ({ name: p.name, url: p.url })),
        }),
        store,
        hub: String(hub.target),
        wallet: new Wallet(KEEPER_KEY),
        chainId: 31337n,
        feeCeiling: parseUnits("50", "gwei"),
        emergencyFeeCeiling: parseUnits("500", "gwei"),
        replaceAfterMs: 2_000,
        giveUpAfterMs: 20_000,
        log: (event, fields) => lines.push({ event, fields }),
      });
      const outcome = await r.respond(PAUSE, "critical", "drain");
      expect(outcome.status, outcome.note).to.equal("mined");
      expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
      expect(await keeperNonce(), "one transaction").to.equal(1);
      const contradicted = lines.find((l) => l.event === "proof-contradicts");
      expect(contradicted, JSON.stringify(lines)).to.not.equal(undefined);
      expect(contradicted!.fields.endpoints).to.deep.equal(["a", "b"]);
    } finally {
      for (const p of proxies) p.fault = { kind: "none" };
      for (const liar of liars) await liar.stop();
    }
  });

  it("finishes an action decided before a crash, and does not repeat one sent before it", async function () {
    // Crash 1: the intent was written, nothing sent.
    const key = `pause:${String(hub.target).toLowerCase()}:protocol:epoch-0`;
    store.intend(key, { ...PAUSE, severity: "high", why: "drain" });
    const outcomes = await responder().resumeUnfinished();
    expect(outcomes.map((o) => o.status)).to.deep.equal(["mined"]);
    expect(await keeperNonce()).to.equal(1);

    // Crash 2: the transaction was sent and mined, but the store still says "sent".
    store.update(key, { status: "sent" });
    const before = sends();
    const again = await responder().resumeUnfinished();
    expect(again.map((o) => o.status)).to.deep.equal(["mined"]);
    expect(sends(), "nothing sent again").to.equal(before);
    expect(await keeperNonce()).to.equal(1);
  });

  it("replaces a stuck transaction with higher fees until it is mined", async function () {
    await node.rpc("evm_setAutomine", [false]);
    const latest = await node.rpc<{ baseFeePerGas: string }>("eth_getBlockByNumber", ["latest", false]);
    const firstMaxFee = 2n * BigInt(latest.baseFeePerGas) + parseUnits("1.5", "gwei"); // what the first attempt offers
    const pending = responder({ replaceAfterMs: 300 }).respond(PAUSE, "high", "drain");
    while (sends() < 3 * 3) await new Promise((r) => setTimeout(r, 100)); // three attempts, each to 3 endpoints
    await node.rpc("evm_mine");
    const outcome = await pending;
    expect(outcome.status).to.equal("mined");
    expect(outcome.attempts).to.be.at.least(3);
    const tx = await node.rpc<{ maxFeePerGas: string; nonce: string }>("eth_getTransactionByHash", [outcome.txHash]);
    // At least two replacements of +12.5% each over the first offer.
    expect(BigInt(tx.maxFeePerGas)).to.be.at.least((firstMaxFee * 1125n * 1125n) / 1_000_000n);
    expect(Number(tx.nonce)).to.equal(startNonce);
    expect(await keeperNonce(), "one transaction mined for the action").to.equal(1);
  });

  it("runs one action at a time: two findings for different actions at once get consecutive nonces, both mined", async function () {
    const events: string[] = [];
    const r = responder({ log: (event) => events.push(event) });
    const [scopes, all] = await Promise.all([
      r.respond({ kind: "pauseScopes", scopes: 0b10n, reason: 0x0101 }, "high", "scope 1 drained"),
      r.respond(PAUSE, "critical", "everything drained"),
    ]);
    expect(scopes.status).to.equal("mined");
    expect(all.status).to.equal("mined");
    const nonces = await Promise.all(
      [scopes, all].map(async (o) => Number((await chain.provider.getTransaction(o.txHash!))!.nonce)),
    );
    expect(nonces).to.deep.equal([startNonce, startNonce + 1]);
    expect(await keeperNonce()).to.equal(2);
    // Neither took the other's nonce (each nonce asked for once its turn came), nor was sent twice.
    expect(events, "no nonce was taken").to.not.include("nonce-taken");
    expect(events.filter((e) => e === "sent")).to.have.length(2);
  });

  it("joins the action in flight: one transaction, replaced at once when the join raises the fee floor", async function () {
    await node.rpc("evm_setAutomine", [false]);
    const events: string[] = [];
    const broadcasts: string[] = [];
    const r = responder({ replaceAfterMs: 60_000, log: (event) => events.push(event) });
    const floor = { maxFeePerGas: parseUnits("60", "gwei"), maxPriorityFeePerGas: parseUnits("5", "gwei") };
    const first = r.respond(PAUSE, "critical", "a pending exploit", undefined, {
      feeFloor: floor,
      onBroadcast: (hash) => broadcasts.push(hash),
    });
    while (broadcasts.length < 1) await new Promise((done) => setTimeout(done, 50));
    const sent = (await chain.provider.getTransaction(broadcasts[0]!))!;
    expect(sent.maxPriorityFeePerGas, "the floor is bid").to.equal(floor.maxPriorityFeePerGas);
    // The exploit is replaced at a higher fee: the same action, asked again with a higher floor.
    const higher = { maxFeePerGas: parseUnits("200", "gwei"), maxPriorityFeePerGas: parseUnits("20", "gwei") };
    const second = r.respond(PAUSE, "critical", "the exploit, replaced", undefined, { feeFloor: higher });
    while (broadcasts.length < 2) await new Promise((done) => setTimeout(done, 50));
    await node.rpc("evm_mine");
    const [a, b] = await Promise.all([first, second]);
    expect(a).to.deep.equal(b);
    expect(a.status).to.equal("mined");
    expect(a.txHash).to.equal(broadcasts[1]);
    const mined = (await chain.provider.getTransaction(a.txHash!))!;
    expect(mined.maxPriorityFeePerGas).to.equal(higher.maxPriorityFeePerGas);
    expect(mined.maxFeePerGas).to.equal(higher.maxFeePerGas);
    expect(events).to.include.members(["join", "raise"]);
    expect(await keeperNonce(), "one transaction").to.equal(1);
  });

  it("rides out a base fee spike: critical replacements climb past the ordinary ceiling until one is mined", async function () {
    await node.rpc("evm_setAutomine", [false]);
    const latest = await node.rpc<{ baseFeePerGas: string }>("eth_getBlockByNumber", ["latest", false]);
    const spike = parseUnits("100", "gwei"); // far above what the first attempt offers and above the 50 gwei ceiling
    expect(2n * BigInt(latest.baseFeePerGas) + parseUnits("3", "gwei")).to.be.below(spike);
    const pending = responder({ replaceAfterMs: 200 }).respond(PAUSE, "critical", "drain during congestion");
    while (sends() < 3) await new Promise((r) => setTimeout(r, 50)); // the first attempt is out
    // A sustained spike: every block's base fee is 100 gwei while the offer climbs 12.5% per replacement.
    let outcome: Awaited<typeof pending> | undefined;
    void pending.then((o) => (outcome = o));
    for (let i = 0; i < 200 && outcome === undefined; i++) {
      await node.rpc("hardhat_setNextBlockBaseFeePerGas", [`0x${spike.toString(16)}`]);
      await node.rpc("evm_mine");
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(outcome?.status).to.equal("mined");
    const tx = await node.rpc<{ maxFeePerGas: string }>("eth_getTransactionByHash", [outcome!.txHash]);
    const block = await node.rpc<{ baseFeePerGas: string }>("eth_getBlockByNumber", [
      `0x${outcome!.blockNumber!.toString(16)}`,
      false,
    ]);
    expect(BigInt(tx.maxFeePerGas), "paid at least the block's base fee").to.be.at.least(BigInt(block.baseFeePerGas));
    expect(BigInt(tx.maxFeePerGas), "an emergency may exceed the ordinary ceiling").to.be.above(
      parseUnits("50", "gwei"),
    );
    expect(outcome!.attempts).to.be.at.least(2);
    expect(await keeperNonce(), "one transaction mined for the action").to.equal(1);
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    // The spike is over: later tests start from an ordinary base fee.
    await node.rpc("hardhat_setNextBlockBaseFeePerGas", [`0x${parseUnits("1", "gwei").toString(16)}`]);
    await node.rpc("evm_mine");
  });

  it("acts again when a reorg takes its mined pause, with the nonce the reorg freed", async function () {
    const snapshot = await node.rpc<string>("evm_snapshot");
    const r = responder();
    const first = await r.respond(PAUSE, "high", "drain");
    expect(first.status).to.equal("mined");
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);

    await node.rpc("evm_revert", [snapshot]); // the block holding the pause is gone
    expect(BigInt(await hub.getFunction("state")()), "not paused on the new branch").to.equal(0n);
    const again = await r.respond(PAUSE, "high", "drain");
    expect(again.status, again.note).to.equal("mined");
    expect(again.key, "the same action: the hub is at the same pause epoch").to.equal(first.key);
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    expect(await keeperNonce(), "one transaction on the surviving branch").to.equal(1);
    expect(store.outboxEntry(first.key)?.status).to.equal("mined");
  });

  it("acts again with a fresh transaction when its earlier one was mined and reverted", async function () {
    // The outbox holds the pause as failed: its transaction (from the keeper's key) was mined and reverted.
    const nonce = Number(await node.rpc<string>("eth_getTransactionCount", [keeper.address, "latest"]));
    const raw = await new Wallet(KEEPER_KEY).signTransaction({
      to: String(hub.target),
      data: "0xdeadbeef", // no such function: the hub reverts
      nonce,
      gasLimit: 100_000n,
      maxFeePerGas: parseUnits("10", "gwei"),
      maxPriorityFeePerGas: parseUnits("1", "gwei"),
      chainId: 31337n,
      type: 2,
    });
    await node.rpc("evm_setAutomine", [false]); // mined by hand: an automining node refuses a reverting send
    const reverted = await node.rpc<string>("eth_sendRawTransaction", [raw]);
    await node.rpc("evm_mine");
    await node.rpc("evm_setAutomine", [true]);
    const mined = await node.rpc<{ status: string }>("eth_getTransactionReceipt", [reverted]);
    expect(mined.status).to.equal("0x0");
    const key = `pause:${String(hub.target).toLowerCase()}:protocol:epoch-0`;
    store.intend(key, { ...PAUSE, severity: "critical", why: "drain", from: keeper.address });
    store.update(key, { status: "failed", txHash: reverted, nonce, note: "reverted", attempt: true });

    const outcome = await responder().respond(PAUSE, "critical", "drain");
    expect(outcome.status, outcome.note).to.equal("mined");
    expect(outcome.key).to.equal(key);
    expect(outcome.txHash).to.not.equal(reverted);
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    expect(await keeperNonce(), "the reverted transaction, then the pause").to.equal(2);
    expect(store.outboxEntry(key)?.status).to.equal("mined");
  });

  it("re-decides when another transaction takes the guardian key's nonce", async function () {
    await node.rpc("evm_setAutomine", [false]);
    const pending = responder({ replaceAfterMs: 1_000 }).respond(PAUSE, "high", "drain");
    while (sends() < 3) await new Promise((r) => setTimeout(r, 50));
    // Someone else uses the keeper's key at the same nonce, with a higher fee: it replaces the pause in the pool.
    const other = Transaction.from(
      await keeper.signTransaction({
        to: deployer.address,
        value: 1n,
        nonce: startNonce,
        gasLimit: 21_000n,
        maxFeePerGas: parseUnits("100", "gwei"),
        maxPriorityFeePerGas: parseUnits("50", "gwei"),
        chainId: 31337n,
        type: 2,
      }),
    );
    await node.rpc("eth_sendRawTransaction", [other.serialized]);
    await node.rpc("evm_mine");
    await node.rpc("evm_setAutomine", [true]);
    const outcome = await pending;
    expect(outcome.status).to.equal("mined");
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    expect(await keeperNonce()).to.equal(2); // the other transaction, then exactly one pause
  });

  it("explains a key without the guardian role and sends nothing", async function () {
    try {
      await responder({ key: OUTSIDER_KEY }).respond(PAUSE, "high", "drain");
      expect.fail("expected a CordonError");
    } catch (error) {
      expect(error).to.be.instanceOf(CordonError);
      expect((error as CordonError).details).to.match(/lacks the guardian role/);
    }
    expect(sends()).to.equal(0);
  });

  it("names the hub's refusal of a scope it does not have (CordonInvalidScopes), and sends nothing", async function () {
    try {
      await responder().respond({ kind: "pauseScopes", scopes: 1n << 208n, reason: 0x0101 }, "high", "drain");
      expect.fail("expected a CordonError");
    } catch (error) {
      expect(error).to.be.instanceOf(CordonError);
      const { message } = error as CordonError;
      expect(message, message).to.include("the hub would refuse the keeper's transaction: CordonInvalidScopes");
    }
    expect(sends()).to.equal(0);
  });

  it("trips on a failing invariant with no role at all", async function () {
    const mock = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
    await send(hub, "addProtected", mock.target);
    await send(mock, "setInvariantCode", 7);
    const outcome = await responder({ key: OUTSIDER_KEY }).respond(
      { kind: "tripOnInvariant", target: String(mock.target) },
      "critical",
      "invariant 7",
    );
    expect(outcome.status).to.equal("mined");
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
  });

  it("acts again after a skip without claiming a reorg: the trip it skipped (the invariants held) is sent once they fail", async function () {
    const mock = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
    await send(hub, "addProtected", mock.target);
    const trip = { kind: "tripOnInvariant", target: String(mock.target) } as const;
    const lines: { event: string; fields: Record<string, unknown> }[] = [];
    const r = responder({ log: (event, fields) => lines.push({ event, fields }) });
    // The invariants hold when the trip is simulated: every endpoint says so, nothing is sent.
    const skipped = await r.respond(trip, "critical", "invariant failing at the finding's block");
    expect(skipped.status, skipped.note).to.equal("skipped");
    expect(store.outboxEntry(skipped.key)?.note).to.match(/invariants held/);
    expect(sends()).to.equal(0);

    await send(mock, "setInvariantCode", 3); // failing again, at the same pause epoch: the same outbox key
    const again = await r.respond(trip, "critical", "invariant 3");
    expect(again.status, again.note).to.equal("mined");
    expect(again.key).to.equal(skipped.key);
    expect(BigInt(await hub.getFunction("state")())).to.equal(1n);
    const actAgain = lines.find((l) => l.event === "act-again");
    expect(actAgain, "the retry is logged").to.not.equal(undefined);
    const why = String(actAgain!.fields.why);
    expect(why, "no reorg happened").to.not.match(/reorg/);
    expect(why).to.match(/skipped .*invariants held/);
    expect(store.outboxEntry(skipped.key)?.note ?? "").to.not.match(/reorg/);
  });

  it("pauses after a trip although the trip paused the hub (afterTrip), once: the guardian pause moves the episode's end", async function () {
    const mock = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
    await send(hub, "addProtected", mock.target);
    await send(mock, "setInvariantCode", 2);
    const outsider = await chain.wallet(OUTSIDER_KEY);
    await send(hub.connect(outsider) as Contract, "tripOnInvariant", mock.target); // anyone's trip
    const tripped = await hub.getFunction("currentSync")();
    expect(BigInt(tripped.state)).to.equal(1n);
    expect(
      await responder().respond(PAUSE, "critical", "a plain finding"),
      "a plain pause: the hub is paused",
    ).to.include({
      status: "skipped",
    });

    await node.rpc("evm_increaseTime", [600]); // the keeper's pause comes later than the trip
    const afterTrip = { ...PAUSE, afterTrip: { expiry: Number(tripped.expiry) } };
    const r = responder();
    const paused = await r.respond(afterTrip, "critical", "the hub tripped");
    expect(paused.status, paused.note).to.equal("mined");
    const sync = await hub.getFunction("currentSync")();
    expect(Number(sync.expiry), "the guardian pause's own full duration").to.be.greaterThan(Number(tripped.expiry));
    expect(await keeperNonce()).to.equal(1);

    const again = await r.respond(afterTrip, "critical", "the same trip, seen again");
    expect(again.status, "a pause since the trip holds the hub").to.equal("skipped");
    expect(await keeperNonce()).to.equal(1);
  });
});
