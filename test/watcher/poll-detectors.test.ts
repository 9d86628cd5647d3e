import { expect } from "chai";

import { rpcDivergenceDetector } from "@cordon/keeper/detectors/rpc-divergence.js";
import type { Detector } from "@cordon/keeper/detectors/types.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { Watcher } from "@cordon/keeper/watcher/watcher.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";

describe("Watcher: poll detectors, and detectors evaluated together", function () {
  this.timeout(60_000);
  let chain: TestChain;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
  });

  after(async function () {
    await chain?.stop();
  });

  it("stores a poll finding at once and returns it from tick(), whether or not new blocks arrived", async function () {
    const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    const store = new Store(":memory:", 31337);
    const head = Number(await chain.node.rpc<string>("eth_blockNumber"));
    const watcher = new Watcher({ pool, store, detectors: [rpcDivergenceDetector()], addresses: [], startBlock: head });
    try {
      chain.proxies[0]!.fault = { kind: "lying" };
      const first = await watcher.tick();
      expect(first.processed).to.equal(1);
      expect(first.findings.map((f) => [f.detector, f.data.kind, f.data.endpoint])).to.deep.equal([
        ["rpc-divergence", "diverging", "a"],
      ]);
      expect(store.findingsFrom(0).map((f) => [f.detector, f.summary])).to.deep.equal([
        ["rpc-divergence", first.findings[0]!.summary],
      ]);

      chain.proxies[0]!.fault = { kind: "none" };
      const second = await watcher.tick();
      expect(second.processed, "no new block").to.equal(0);
      expect(second.findings.map((f) => f.data.kind)).to.deep.equal(["recovered"]);
      expect(store.findingsFrom(0)).to.have.length(2);
    } finally {
      store.close();
    }
  });

  it("evaluates every detector of a range at the same time, and keeps their findings in the detectors' order", async function () {
    const pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
    const store = new Store(":memory:", 31337);
    const head = Number(await chain.node.rpc<string>("eth_blockNumber"));
    // Each detector makes three quorum reads of the real node, one after another, then waits 300 ms.
    const slow = (name: string): Detector => ({
      name,
      async evaluate({ pool: p, range }) {
        for (let i = 0; i < 3; i++) await p.quorumRead("eth_getBlockByNumber", [`0x${range.to.toString(16)}`, false]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        return [
          {
            blockNumber: range.to,
            blockHash: range.head.hash,
            detector: name,
            severity: "low",
            summary: name,
            data: {},
          },
        ];
      },
    });
    const watcher = new Watcher({
      pool,
      store,
      detectors: [slow("first"), slow("second"), slow("third")],
      addresses: [],
      startBlock: head,
    });
    try {
      const started = Date.now();
      const tick = await watcher.tick();
      const took = Date.now() - started;
      expect(tick.findings.map((f) => f.detector)).to.deep.equal(["first", "second", "third"]);
      expect(took, "three 300 ms detectors in less than twice one").to.be.below(600);
    } finally {
      store.close();
    }
  });
});
