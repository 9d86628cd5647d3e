import { expect } from "chai";
import type { Contract } from "ethers";

import { oracleDeviationDetector, type OracleDeviationOptions } from "@cordon/keeper/detectors/oracle.js";
import type { DetectorFinding } from "@cordon/keeper/detectors/types.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";
import type { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import { blockRange } from "../support/range.js";

const E8 = 10n ** 8n;
const E18 = 10n ** 18n;

describe("Oracle deviation detector", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let proxies: FaultProxy[];
  let feed: Contract;
  let reference: Contract;
  let options: OracleDeviationOptions;

  before(async function () {
    chain = await startTestChain(["liar", "honest-1", "honest-2"]);
    proxies = chain.proxies;
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    // The same price in two scales: 2,000 with 8 decimals (the feed) and with 18 (the reference).
    feed = await deploy(deployer, "MockAggregator", "contracts/mocks", [8, 2_000n * E8]);
    reference = await deploy(deployer, "MockAggregator", "contracts/mocks", [18, 2_000n * E18]);
    options = {
      feed: String(feed.target),
      reference: String(reference.target),
      maxDeviationBps: 100,
      maxAgeSeconds: 600,
    };
  });

  after(async function () {
    await chain?.stop();
  });

  afterEach(async function () {
    for (const p of proxies) p.fault = { kind: "none" };
    await send(feed, "setAnswer", 2_000n * E8);
  });

  /** A pool over `names` (all proxies by default) that has not refreshed yet: no endpoint is known to be bad. */
  function freshPool(names = proxies.map((p) => p.name)): RpcPool {
    const endpoints = proxies.filter((p) => names.includes(p.name)).map((p) => ({ name: p.name, url: p.url }));
    return new RpcPool({ endpoints });
  }

  async function evaluateLatest(
    detector = oracleDeviationDetector(options),
    pool = freshPool(),
  ): Promise<DetectorFinding[]> {
    return await detector.evaluate({ pool, range: await blockRange(chain.node) });
  }

  it("normalises decimals: the same price at 8 and 18 decimals is no deviation", async function () {
    expect(await evaluateLatest()).to.deep.equal([]);
  });

  it("reports a deviation above the limit once per episode, with both answers and the basis points", async function () {
    const detector = oracleDeviationDetector(options);
    const pool = freshPool();
    await send(feed, "setAnswer", 2_010n * E8); // 50 bps: within the limit
    expect(await evaluateLatest(detector, pool)).to.deep.equal([]);

    await send(feed, "setAnswer", 2_050n * E8); // 250 bps
    const [finding, ...rest] = await evaluateLatest(detector, pool);
    expect(rest).to.deep.equal([]);
    expect(finding?.severity).to.equal("high");
    expect(finding?.summary)
      .to.include(`feed ${options.feed} answers 205000000000 (8 decimals)`)
      .and.include("250 bps apart");
    expect(finding?.data).to.include({ kind: "deviation", deviationBps: "250", feedAnswer: "205000000000" });

    await send(feed, "setAnswer", 2_060n * E8);
    expect(await evaluateLatest(detector, pool), "still deviating: no repeat").to.deep.equal([]);
    await send(feed, "setAnswer", 2_000n * E8);
    expect(await evaluateLatest(detector, pool)).to.deep.equal([]);
    await send(feed, "setAnswer", 1_900n * E8); // a new episode, below the reference this time
    const [again] = await evaluateLatest(detector, pool);
    expect(again?.data).to.include({ kind: "deviation", deviationBps: "500" });
  });

  it("reports a feed whose last update is older than maxAgeSeconds at the block's timestamp", async function () {
    const detector = oracleDeviationDetector(options);
    const pool = freshPool();
    const { head } = await blockRange(chain.node);
    await send(feed, "setUpdatedAt", head.timestamp - 3_600);
    const range = await blockRange(chain.node);
    const [stale, ...rest] = await detector.evaluate({ pool, range });
    expect(rest, "the reference is fresh").to.deep.equal([]);
    const age = range.head.timestamp - (head.timestamp - 3_600);
    expect(stale?.summary).to.include(`feed ${options.feed} was last updated ${age} s before block ${range.to}`);
    expect(stale?.data).to.include({ kind: "stale-feed", ageSeconds: age, updatedAt: head.timestamp - 3_600 });
    await chain.node.rpc("evm_mine");
    expect(await evaluateLatest(detector, pool), "still stale: no repeat").to.deep.equal([]);
  });

  it("forgets episodes opened above a reorg's ancestor, so the deviation is found again on the new chain", async function () {
    const detector = oracleDeviationDetector(options);
    const pool = freshPool();
    expect(await evaluateLatest(detector, pool)).to.deep.equal([]);
    const ancestor = (await blockRange(chain.node)).to;
    await send(feed, "setAnswer", 2_100n * E8);
    expect(await evaluateLatest(detector, pool)).to.have.length(1);
    // That block is reorged out; on the new chain the feed deviates from the next block on.
    await chain.node.rpc("evm_mine");
    detector.onReorg?.(ancestor);
    expect(await evaluateLatest(detector, pool)).to.have.length(1);
  });

  describe("through a quorum, with one endpoint lying about state", function () {
    // The liar flips the last hex digit of every eth_call answer: decimals 8 reads as 0 and 18 as 16, so the feed
    // looks 10^6 times the reference's scale. Listed first, it is what a single-endpoint read gets.
    beforeEach(function () {
      proxies[0]!.fault = { kind: "lying" };
    });

    it("cannot create a finding", async function () {
      const naive = await freshPool().request<string>("eth_call", [
        { to: options.feed, data: feed.interface.encodeFunctionData("decimals") },
        "latest",
      ]);
      expect(BigInt(naive), "a plain read is fooled").to.equal(0n);
      expect(
        await evaluateLatest(oracleDeviationDetector(options), freshPool(["liar"])),
        "trusting the liar",
      ).to.have.length(1);

      const pool = freshPool();
      expect(await evaluateLatest(oracleDeviationDetector(options), pool)).to.deep.equal([]);
      expect(pool.health().find((h) => h.name === "liar")?.status, "the liar is out of rotation").to.equal("diverging");
    });

    it("cannot hide a finding", async function () {
      // A collapse to 0.002: the liar's scaling makes it look exactly equal to the reference.
      await send(feed, "setAnswer", 2_000n * 100n);
      expect(
        await evaluateLatest(oracleDeviationDetector(options), freshPool(["liar"])),
        "trusting the liar",
      ).to.deep.equal([]);

      const [finding] = await evaluateLatest(oracleDeviationDetector(options), freshPool());
      // The figures are the honest quorum's (the liar reads 0 decimals).
      expect(finding?.data).to.include({ kind: "deviation", feedAnswer: "200000", feedDecimals: 8 });
    });
  });
});
