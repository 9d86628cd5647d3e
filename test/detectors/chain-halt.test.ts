import { expect } from "chai";

import { chainHaltDetector } from "@cordon/keeper/detectors/chain-halt.js";
import type { Detector, DetectorFinding } from "@cordon/keeper/detectors/types.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Chain halt detector", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let pool: RpcPool;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    await chain.node.rpc("evm_setAutomine", [false]); // blocks come only from evm_mine: the chain halts at will
  });

  after(async function () {
    await chain?.node.rpc("evm_setAutomine", [true]);
    await chain?.stop();
  });

  /** One watcher tick, as the watcher does it: refresh the pool, then poll with its agreed head. */
  async function tick(detector: Detector): Promise<DetectorFinding[]> {
    await pool.refresh();
    return await detector.poll!({ pool, now: Date.now(), head: pool.agreedHead });
  }

  it("stays quiet while heads move, reports a halt once, and reports the chain resuming", async function () {
    const detector = chainHaltDetector({ maxSilenceSeconds: 1.5 });
    // 3 s of ticks with a block every 0.5 s: longer than maxSilenceSeconds in total, but never silent that long.
    for (let i = 0; i < 6; i++) {
      await chain.node.rpc("evm_mine");
      expect(await tick(detector), `tick ${i} while mining`).to.deep.equal([]);
      await sleep(500);
    }

    const lastBlock = Number(await chain.node.rpc<string>("eth_blockNumber"));
    const halts: DetectorFinding[] = [];
    const started = Date.now();
    while (Date.now() - started < 3_000) {
      halts.push(...(await tick(detector)));
      await sleep(200);
    }
    expect(halts, "one finding for the whole halt").to.have.length(1);
    const [halt] = halts;
    expect(halt?.severity).to.equal("high");
    expect(halt?.blockNumber).to.equal(lastBlock);
    expect(halt?.summary).to.match(
      new RegExp(`^no new head for \\d+\\.\\d s: the newest agreed block is ${lastBlock} `),
    );
    expect(halt?.data).to.include({ kind: "halt", head: lastBlock, maxSilenceSeconds: 1.5 });
    expect(halt?.data.silenceSeconds).to.be.above(1.5);
    expect(halt?.response).to.equal(undefined);

    await chain.node.rpc("evm_mine");
    const [resumed, ...rest] = await tick(detector);
    expect(rest).to.deep.equal([]);
    expect(resumed?.severity).to.equal("info");
    expect(resumed?.data).to.include({ kind: "resumed", head: lastBlock + 1, previousHead: lastBlock });
    expect(resumed?.data.silenceSeconds).to.be.at.least(3);
    expect(await tick(detector), "moving again: nothing more").to.deep.equal([]);
  });
});
