import { expect } from "chai";
import { Wallet } from "ethers";

import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Endpoint } from "@cordon/keeper/rpc/endpoint.js";
import {
  NoHealthyEndpointError,
  QuorumNotReachedError,
  RpcGarbageError,
  RpcRateLimitedError,
  RpcResponseError,
  RpcTimeoutError,
} from "@cordon/keeper/rpc/errors.js";
import { TEST_KEYS } from "@cordon/testkit/chain.js";
import { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import { type HardhatNode, startHardhatNode } from "@cordon/testkit/hardhat-node.js";

const TEST_KEY = TEST_KEYS.deployer;

describe("RpcPool against a real node through fault-injecting proxies", function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let a: FaultProxy;
  let b: FaultProxy;
  let c: FaultProxy;

  before(async function () {
    node = await startHardhatNode();
    a = await new FaultProxy(node.url, "a").start();
    b = await new FaultProxy(node.url, "b").start();
    c = await new FaultProxy(node.url, "c").start();
  });

  after(async function () {
    await Promise.all([a, b, c].map((p) => p?.stop()));
    await node?.stop();
  });

  beforeEach(async function () {
    for (const p of [a, b, c]) p.fault = { kind: "none" };
    await a.start(); // a test may have stopped it
  });

  function pool(overrides: { timeoutMs?: number } = {}) {
    return new RpcPool({
      endpoints: [a, b, c].map((p) => ({ name: p.name, url: p.url, timeoutMs: overrides.timeoutMs ?? 4_000 })),
    });
  }

  async function mine(blocks: number) {
    await node.rpc("hardhat_mine", [`0x${blocks.toString(16)}`]);
  }

  async function head(): Promise<{ number: number; hash: string }> {
    const block = await node.rpc<{ number: string; hash: string }>("eth_getBlockByNumber", ["latest", false]);
    return { number: Number(block.number), hash: block.hash };
  }

  it("scores every endpoint healthy and agrees on the node's head", async function () {
    await mine(3);
    const p = pool();
    const health = await p.refresh();
    expect(health.map((h) => h.status)).to.deep.equal(["healthy", "healthy", "healthy"]);
    expect(p.agreedHead?.hash).to.equal((await head()).hash);
  });

  it("does not prefer an endpoint that claims a head no quorum has reached, whatever else it says", async function () {
    await mine(2);
    const p = pool();
    const address = new Wallet(TEST_KEY).address;
    const truth = await node.rpc<string>("eth_getBalance", [address, "latest"]);
    // c claims to be 5 blocks ahead and lies about balances: preferred first, its lie would decide every read.
    c.fault = { kind: "ahead", by: 5, lieIn: ["eth_getBalance"] };
    const health = await p.refresh();
    const claimed = health.find((h) => h.name === "c")!;
    expect(claimed.status, claimed.reason).to.equal("ahead");
    expect(claimed.reason).to.match(/unconfirmed until a quorum reaches it/);
    expect(p.healthy().map((e) => e.name)).to.have.members(["a", "b"]);
    expect(p.agreedHead?.hash).to.equal((await head()).hash);
    for (let i = 0; i < 5; i++) expect(await p.request<string>("eth_getBalance", [address, "latest"])).to.equal(truth);

    // Once it stops claiming what nobody else has, it is back in rotation.
    c.fault = { kind: "none" };
    await p.refresh();
    expect(p.health().find((h) => h.name === "c")?.status).to.equal("healthy");
  });

  it("takes a dead endpoint out of rotation and keeps answering through the others", async function () {
    const p = pool();
    a.fault = { kind: "down" };
    for (let i = 0; i < 3; i++) await p.refresh();
    expect(p.health().find((h) => h.name === "a")?.status).to.equal("down");
    expect(p.agreedHead?.hash).to.equal((await head()).hash);
    expect(await p.request<string>("eth_chainId")).to.equal("0x7a69");
    const balance = await p.quorumRead<string>("eth_getBalance", [new Wallet(TEST_KEY).address, "latest"]);
    expect(balance.agreed).to.have.members(["b", "c"]);

    a.fault = { kind: "none" };
    await p.refresh();
    expect(p.health().find((h) => h.name === "a")?.status).to.equal("healthy");
  });

  it("treats a refused connection (host gone) like a dead node", async function () {
    const p = pool();
    await a.stop();
    for (let i = 0; i < 3; i++) await p.refresh();
    expect(p.health().find((h) => h.name === "a")?.status).to.equal("down");
    expect(p.healthy().map((e) => e.name)).to.have.members(["b", "c"]);
  });

  it("notices a stale node serving an old head, tolerates one block behind, and readmits it when it catches up", async function () {
    const p = pool();
    const start = (await head()).number;
    b.fault = { kind: "stale", head: start };
    await mine(1);
    await p.refresh();
    expect(p.health().find((h) => h.name === "b")).to.include({ status: "healthy", lag: 1 });

    await mine(5);
    await p.refresh();
    const stale = p.health().find((h) => h.name === "b")!;
    expect(stale.status).to.equal("lagging");
    expect(stale.lag).to.equal(6);
    expect(p.healthy().map((e) => e.name)).to.not.include("b");

    b.fault = { kind: "none" };
    await p.refresh();
    expect(p.health().find((h) => h.name === "b")?.status).to.equal("healthy");
  });

  it("takes a node that lies about block hashes out of rotation; the agreed head is the true one", async function () {
    const p = pool();
    c.fault = { kind: "lying" };
    await p.refresh();
    const liar = p.health().find((h) => h.name === "c")!;
    expect(liar.status).to.equal("diverging");
    expect(liar.reason).to.match(/reports hash/);
    expect(p.agreedHead?.hash).to.equal((await head()).hash);

    c.fault = { kind: "none" };
    await p.refresh();
    expect(p.health().find((h) => h.name === "c")?.status).to.equal("healthy");
  });

  it("reads state from a quorum so a single lying node cannot change the answer", async function () {
    const p = pool();
    await p.refresh();
    const address = new Wallet(TEST_KEY).address;
    const pinned = `0x${(await head()).number.toString(16)}`;
    const truth = await node.rpc<string>("eth_getBalance", [address, pinned]);
    c.fault = { kind: "lying" };
    const read = await p.quorumRead<string>("eth_getBalance", [address, pinned]);
    expect(read.result).to.equal(truth);
    expect(read.disagreed).to.deep.equal(["c"]);
    expect(p.health().find((h) => h.name === "c")?.status).to.equal("diverging");
  });

  it("refuses to answer a critical read when no quorum agrees", async function () {
    const p = pool();
    b.fault = { kind: "down" };
    c.fault = { kind: "down" };
    try {
      await p.quorumRead("eth_blockNumber");
      expect.fail("expected QuorumNotReachedError");
    } catch (error) {
      expect(error).to.be.instanceOf(QuorumNotReachedError);
    }
  });

  it("backs off a rate-limited endpoint and fails over", async function () {
    const p = pool();
    await p.refresh();
    a.fault = { kind: "rate-limited" };
    const endpointA = p.endpoints.find((e) => e.name === "a")!;
    try {
      await endpointA.request("eth_chainId");
      expect.fail("expected RpcRateLimitedError");
    } catch (error) {
      expect(error).to.be.instanceOf(RpcRateLimitedError);
      expect((error as RpcRateLimitedError).retryAfterMs).to.equal(1000);
    }
    expect(p.health().find((h) => h.name === "a")?.status).to.equal("rate-limited");
    expect(await p.request<string>("eth_chainId")).to.equal("0x7a69");
    expect(a.count("eth_chainId")).to.equal(1); // the pool did not ask it again while backing off
  });

  it("times out a slow endpoint and fails over", async function () {
    const p = pool({ timeoutMs: 300 });
    await p.refresh();
    a.fault = { kind: "slow", delayMs: 1_500 };
    const endpointA = p.endpoints.find((e) => e.name === "a")!;
    try {
      await endpointA.request("eth_chainId");
      expect.fail("expected RpcTimeoutError");
    } catch (error) {
      expect(error).to.be.instanceOf(RpcTimeoutError);
    }
    expect(await p.request<string>("eth_chainId")).to.equal("0x7a69");
  });

  it("gives a clear typed error for garbage and error envelopes, and none when every node fails", async function () {
    const garbage = new Endpoint({ name: "a", url: a.url });
    a.fault = { kind: "garbage" };
    try {
      await garbage.request("eth_blockNumber");
      expect.fail("expected RpcGarbageError");
    } catch (error) {
      expect(error).to.be.instanceOf(RpcGarbageError);
      expect((error as RpcGarbageError).details).to.match(/502 Bad Gateway/);
    }
    b.fault = { kind: "error-envelope" };
    c.fault = { kind: "garbage" };
    try {
      await pool().request("eth_blockNumber");
      expect.fail("expected NoHealthyEndpointError");
    } catch (error) {
      expect(error).to.be.instanceOf(NoHealthyEndpointError);
      expect((error as NoHealthyEndpointError).failures.map((f) => f.endpoint)).to.have.members(["a", "b", "c"]);
      expect((error as NoHealthyEndpointError).details).to.match(/header not found/);
    }
  });

  it("does not fail over on an execution revert, which every node would repeat", async function () {
    const p = pool();
    await p.refresh();
    try {
      // Calling a non-existent function on the zero address with a value-less call that reverts: use a bad opcode.
      await p.request("eth_call", [{ to: null, data: "0xfe" }, "latest"]);
      expect.fail("expected a revert");
    } catch (error) {
      expect(error).to.be.instanceOf(RpcResponseError);
    }
    expect(a.count("eth_call") + b.count("eth_call") + c.count("eth_call")).to.equal(1);
  });

  it("broadcasts a signed transaction to every healthy endpoint", async function () {
    const p = pool();
    await p.refresh();
    const wallet = new Wallet(TEST_KEY);
    await node.rpc("hardhat_setBalance", [wallet.address, "0x56bc75e2d63100000"]);
    const nonce = Number(await node.rpc<string>("eth_getTransactionCount", [wallet.address, "pending"]));
    const raw = await wallet.signTransaction({
      to: wallet.address,
      value: 1n,
      nonce,
      gasLimit: 21_000n,
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      chainId: 31337n,
      type: 2,
    });
    const sent = await p.broadcast(raw);
    expect(sent.accepted.length, JSON.stringify(sent.rejected)).to.be.greaterThan(0);
    const receipt = await node.rpc<{ status: string } | null>("eth_getTransactionReceipt", [sent.hash]);
    expect(receipt?.status).to.equal("0x1");
    for (const proxy of [a, b, c]) expect(proxy.count("eth_sendRawTransaction")).to.be.greaterThan(0);
  });
});
