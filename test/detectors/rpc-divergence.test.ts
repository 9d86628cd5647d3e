import { expect } from "chai";

import { rpcDivergenceDetector } from "@cordon/keeper/detectors/rpc-divergence.js";
import type { Detector, DetectorFinding } from "@cordon/keeper/detectors/types.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";

describe("RPC divergence detector", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let pool: RpcPool;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })), maxLagBlocks: 2 });
  });

  after(async function () {
    await chain?.stop();
  });

  async function tick(detector: Detector): Promise<DetectorFinding[]> {
    await pool.refresh();
    return await detector.poll!({ pool, now: Date.now(), head: pool.agreedHead });
  }

  const head = async () => Number(await chain.node.rpc<string>("eth_blockNumber"));

  it("reports an endpoint lying about block hashes once, and when it agrees again", async function () {
    const detector = rpcDivergenceDetector();
    expect(await tick(detector)).to.deep.equal([]);

    chain.proxies[2]!.fault = { kind: "lying" };
    await chain.node.rpc("evm_mine");
    const [diverging, ...rest] = await tick(detector);
    expect(rest).to.deep.equal([]);
    const now = await head();
    expect(diverging?.severity).to.equal("medium");
    expect(diverging?.summary).to.include(`endpoint c is diverging: its head is ${now}, the reference head ${now}`);
    expect(diverging?.data).to.include({ kind: "diverging", endpoint: "c", head: now, referenceHead: now });
    expect(diverging?.data.reason).to.match(new RegExp(`reports hash 0x[0-9a-f]{64} for block ${now}`));
    await chain.node.rpc("evm_mine");
    expect(await tick(detector), "same episode: no repeat").to.deep.equal([]);

    chain.proxies[2]!.fault = { kind: "none" };
    const [back, ...more] = await tick(detector);
    expect(more).to.deep.equal([]);
    expect(back?.severity).to.equal("info");
    expect(back?.data).to.include({ kind: "recovered", endpoint: "c", was: "diverging", status: "healthy" });
  });

  it("reports an endpoint stuck on an old head as lagging, with its head and the reference head", async function () {
    const detector = rpcDivergenceDetector({ severity: "high" });
    const stuck = await head();
    chain.proxies[1]!.fault = { kind: "stale", head: stuck };
    await chain.node.rpc("hardhat_mine", ["0x2"]);
    expect(await tick(detector), "2 blocks behind is within maxLagBlocks").to.deep.equal([]);

    await chain.node.rpc("evm_mine");
    const [lagging, ...rest] = await tick(detector);
    expect(rest).to.deep.equal([]);
    expect(lagging?.severity).to.equal("high");
    expect(lagging?.data).to.include({ kind: "lagging", endpoint: "b", head: stuck, referenceHead: stuck + 3, lag: 3 });
    expect(lagging?.summary).to.include(`endpoint b is lagging: its head is ${stuck}, the reference head ${stuck + 3}`);
    await chain.node.rpc("evm_mine");
    expect(await tick(detector), "same episode: no repeat").to.deep.equal([]);

    chain.proxies[1]!.fault = { kind: "none" };
    const [back] = await tick(detector);
    expect(back?.data).to.include({ kind: "recovered", endpoint: "b", was: "lagging", head: stuck + 4 });
  });
});
