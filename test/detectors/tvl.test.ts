import { expect } from "chai";
import type { Contract, Wallet } from "ethers";

import { tvlDropDetector } from "@cordon/keeper/detectors/tvl.js";
import type { Detector, DetectorFinding } from "@cordon/keeper/detectors/types.js";
import { CordonError } from "@cordon/keeper/errors.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";
import { blockRange } from "../support/range.js";

describe("TVL drop detector", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let token: Contract;
  let holder: Wallet;
  let pool: RpcPool;
  const sink = "0x000000000000000000000000000000000000dEaD";

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    holder = await chain.wallet(TEST_KEYS.outsider);
    token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 6]);
    pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })) });
  });

  after(async function () {
    await chain?.stop();
  });

  /** Moves the holder's balance, then lets `detector` see the block it was mined in. */
  async function step(detector: Detector, change: bigint): Promise<DetectorFinding[]> {
    const block =
      change >= 0n
        ? await send(token, "mint", holder.address, change)
        : await send(token.connect(holder) as Contract, "transfer", sink, -change);
    return await detector.evaluate({ pool, range: await blockRange(chain.node, block) });
  }

  it("reports a drop once when it crosses the threshold, not again while it stays down, and again after a recovery", async function () {
    const detector = tvlDropDetector({
      token: String(token.target),
      holder: holder.address,
      windowBlocks: 100,
      dropPercent: 20,
    });
    expect(await step(detector, 1_000_000n)).to.deep.equal([]); // the peak: 1,000,000
    expect(await step(detector, -150_000n)).to.deep.equal([]); // down 15%

    const [crossing, ...rest] = await step(detector, -100_000n); // down 25%
    expect(rest).to.deep.equal([]);
    expect(crossing?.severity).to.equal("critical");
    expect(crossing?.summary)
      .to.include(`${holder.address} holds 750000`)
      .and.include("down 25%")
      .and.include("1000000");
    expect(crossing?.data).to.include({ balance: "750000", peak: "1000000", dropPercent: 25, thresholdPercent: 20 });
    expect((crossing?.data.agreed as string[]).length).to.equal(3);

    expect(await step(detector, -50_000n), "still down (30%): no repeat").to.deep.equal([]);
    expect(await step(detector, 300_000n), "back up to the peak").to.deep.equal([]);
    const [second] = await step(detector, -500_000n); // a new crossing from the 1,000,000 peak
    expect(second?.data).to.include({ balance: "500000", peak: "1000000" });
  });

  it("measures the drop from the highest balance within the window only", async function () {
    // Both see the same blocks: 100% (of a new peak), then four steps of 10% of that peak.
    const start = BigInt(await token.getFunction("balanceOf")(holder.address));
    const wide = tvlDropDetector({
      token: String(token.target),
      holder: holder.address,
      windowBlocks: 10,
      dropPercent: 35,
    });
    const narrow = tvlDropDetector({
      token: String(token.target),
      holder: holder.address,
      windowBlocks: 2,
      dropPercent: 35,
    });
    const peak = 2_000_000n;
    const seen: [number, number][] = [];
    for (const change of [peak - start, -200_000n, -200_000n, -200_000n, -200_000n]) {
      const block =
        change >= 0n
          ? await send(token, "mint", holder.address, change)
          : await send(token.connect(holder) as Contract, "transfer", sink, -change);
      const range = await blockRange(chain.node, block);
      seen.push([(await wide.evaluate({ pool, range })).length, (await narrow.evaluate({ pool, range })).length]);
    }
    // The wide window still holds the 2,000,000 peak when the balance reaches 1,200,000 (40% down); the narrow one
    // only ever compares with the block before (at most 14% down).
    expect(seen).to.deep.equal([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
    ]);
  });

  it("forgets the blocks above a reorg's ancestor, so the crossing is found again on the new chain", async function () {
    const detector = tvlDropDetector({
      token: String(token.target),
      holder: holder.address,
      windowBlocks: 100,
      dropPercent: 10,
    });
    await step(detector, 1_000_000n);
    const before = Number(await chain.node.rpc<string>("eth_blockNumber"));
    expect(await step(detector, -500_000n)).to.have.length(1);
    // The crossing block is reorged out; on the new chain the balance is down at the next block.
    await chain.node.rpc("evm_mine");
    detector.onReorg?.(before);
    const again = await detector.evaluate({ pool, range: await blockRange(chain.node, before + 2) });
    expect(again).to.have.length(1);
  });

  it("refuses a percentage outside (0, 100] and a window under one block, naming the field", function () {
    const base = { token: String(token.target), holder: holder.address, windowBlocks: 10, dropPercent: 20 };
    expect(() => tvlDropDetector({ ...base, dropPercent: 0.2e3 })).to.throw(CordonError, /dropPercent 200/);
    expect(() => tvlDropDetector({ ...base, windowBlocks: 0 })).to.throw(CordonError, /windowBlocks 0/);
  });
});
