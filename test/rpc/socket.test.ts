import { expect } from "chai";

import { Endpoint } from "@cordon/keeper/rpc/endpoint.js";
import { RpcGarbageError, RpcResponseError, RpcTimeoutError, RpcTransportError } from "@cordon/keeper/rpc/errors.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import { type HardhatNode, startHardhatNode } from "@cordon/testkit/hardhat-node.js";

/** Resolves once `condition` holds, polling every 20 ms; fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the request to fail");
}

describe("JSON-RPC over a WebSocket against a real node", function () {
  this.timeout(60_000);
  let node: HardhatNode;
  let proxy: FaultProxy;
  const opened: Endpoint[] = [];

  before(async function () {
    node = await startHardhatNode();
    proxy = await new FaultProxy(node.url, "ws").start();
  });

  after(async function () {
    await proxy?.stop();
    await node?.stop();
  });

  beforeEach(async function () {
    proxy.fault = { kind: "none" };
    await proxy.start();
  });

  afterEach(function () {
    for (const endpoint of opened.splice(0)) endpoint.close();
    proxy.dropSockets(); // a socket reset under the garbage fault never completes its closing handshake
  });

  function endpoint(overrides: { timeoutMs?: number } = {}): Endpoint {
    const e = new Endpoint({
      name: "ws",
      url: proxy.wsUrl,
      timeoutMs: overrides.timeoutMs ?? 2_000,
      maxReconnectMs: 200,
    });
    opened.push(e);
    return e;
  }

  it("sends requests over one socket and answers them by id, with latency in the stats", async function () {
    await node.rpc("hardhat_mine", ["0x3"]);
    const e = endpoint();
    const before = proxy.wsConnections;
    const [chainId, blockNumber, block] = await Promise.all([
      e.request<string>("eth_chainId"),
      e.request<string>("eth_blockNumber"),
      e.request<{ hash: string }>("eth_getBlockByNumber", ["latest", false]),
    ]);
    expect(chainId).to.equal("0x7a69");
    expect(blockNumber).to.equal(await node.rpc<string>("eth_blockNumber"));
    expect(block.hash).to.equal((await node.rpc<{ hash: string }>("eth_getBlockByNumber", ["latest", false])).hash);
    expect(proxy.wsConnections - before).to.equal(1);
    expect(proxy.calls.size, "nothing went over HTTP").to.equal(0);
    expect(e.stats.latencyMs).to.be.greaterThan(0);
    expect(e.stats.consecutiveErrors).to.equal(0);
  });

  it("types a JSON-RPC error envelope as a response error that is not retried elsewhere", async function () {
    const error = await failure(endpoint().request("eth_call", [{ to: null, data: "0xfe" }, "latest"]));
    expect(error).to.be.instanceOf(RpcResponseError);
    expect((error as RpcResponseError).code).to.be.a("number");
  });

  it("times out a request the node does not answer in time, and counts the error", async function () {
    const e = endpoint({ timeoutMs: 300 });
    await e.request("eth_chainId"); // open the socket first
    proxy.fault = { kind: "slow", delayMs: 1_000 };
    const error = await failure(e.request("eth_chainId"));
    expect(error).to.be.instanceOf(RpcTimeoutError);
    expect(e.stats.consecutiveErrors).to.equal(1);
    expect(e.stats.lastError).to.match(/timed out after 300 ms/);
  });

  it("types a message that is not JSON-RPC as garbage, then reconnects and works again", async function () {
    const e = endpoint();
    await e.request("eth_chainId");
    const connections = proxy.wsConnections;
    proxy.fault = { kind: "garbage" };
    const error = await failure(e.request("eth_blockNumber"));
    expect(error).to.be.instanceOf(RpcGarbageError);
    expect((error as RpcGarbageError).details).to.match(/502 Bad Gateway/);
    proxy.fault = { kind: "none" };
    await until(() => e.socket!.isOpen && proxy.wsConnections > connections);
    expect(await e.request<string>("eth_chainId")).to.equal("0x7a69");
    expect(e.stats.consecutiveErrors).to.equal(0);
  });

  it("fails in-flight requests with a transport error when the socket drops, and reconnects with backoff", async function () {
    const e = endpoint();
    await e.request("eth_chainId");
    proxy.fault = { kind: "slow", delayMs: 500 }; // keep a request in flight while the socket is cut
    const inFlight = failure(e.request("eth_blockNumber"));
    await new Promise((r) => setTimeout(r, 50));
    expect(proxy.dropSockets()).to.equal(1);
    const error = await inFlight;
    expect(error).to.be.instanceOf(RpcTransportError);
    expect(error.message).to.match(/eth_blockNumber failed to reach the node/);
    proxy.fault = { kind: "none" };
    await until(() => e.socket!.isOpen);
    expect(await e.request<string>("eth_chainId")).to.equal("0x7a69");
  });

  it("refuses requests with a transport error while the host is gone, and comes back with it", async function () {
    const e = endpoint();
    await e.request("eth_chainId");
    await proxy.stop();
    await until(() => !e.socket!.isOpen);
    const errors: Error[] = [];
    for (let i = 0; i < 3; i++) {
      errors.push(await failure(e.request("eth_chainId")));
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const error of errors) expect(error).to.be.instanceOf(RpcTransportError);
    expect(e.stats.consecutiveErrors).to.equal(3);
    await proxy.start();
    await until(() => e.socket!.isOpen);
    expect(await e.request<string>("eth_chainId")).to.equal("0x7a69");
  });

  it("scores a WebSocket endpoint in a pool like an HTTP one: agreed head, then down when cut, healthy when back", async function () {
    const http = await new FaultProxy(node.url, "http").start();
    try {
      const pool = new RpcPool({
        endpoints: [
          { name: "ws", url: proxy.wsUrl, timeoutMs: 1_000, maxReconnectMs: 200 },
          { name: "http", url: http.url },
        ],
        quorum: 1,
      });
      opened.push(...pool.endpoints);
      await node.rpc("hardhat_mine", ["0x2"]);
      const health = await pool.refresh();
      expect(health.map((h) => h.status)).to.deep.equal(["healthy", "healthy"]);
      expect(pool.agreedHead?.hash).to.equal(
        (await node.rpc<{ hash: string }>("eth_getBlockByNumber", ["latest", false])).hash,
      );

      proxy.fault = { kind: "down" };
      proxy.dropSockets();
      for (let i = 0; i < 3; i++) await pool.refresh();
      expect(pool.health().find((h) => h.name === "ws")?.status).to.equal("down");
      expect(await pool.request<string>("eth_chainId")).to.equal("0x7a69"); // through the HTTP endpoint

      proxy.fault = { kind: "none" };
      await until(() => pool.endpoints[0]!.socket!.isOpen);
      await pool.refresh();
      expect(pool.health().find((h) => h.name === "ws")?.status).to.equal("healthy");
    } finally {
      await http.stop();
    }
  });
});
