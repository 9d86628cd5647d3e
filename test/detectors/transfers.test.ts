import { expect } from "chai";
import { zeroPadValue } from "ethers";

import { erc20Interface } from "@cordon/keeper/contracts/abi.js";
import { largeTransferDetector, outflowVolumeDetector } from "@cordon/keeper/detectors/transfers.js";
import type { DetectorFinding } from "@cordon/keeper/detectors/types.js";
import type { BlockRange, Log } from "@cordon/keeper/follower/follower.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";

// Pure functions over logs: built here, no provider involved (the pool is never called by these detectors).
const TOKEN = "0x00000000000000000000000000000000000000aa";
const VAULT = "0x00000000000000000000000000000000000000bb";
const USER = "0x00000000000000000000000000000000000000cc";
const pool = new RpcPool({ endpoints: [{ name: "unused", url: "http://127.0.0.1:9" }] });

function transfer(block: number, from: string, value: bigint, i = 0): Log {
  const encoded = erc20Interface.encodeEventLog("Transfer", [from, USER, value]);
  return {
    address: TOKEN,
    topics: encoded.topics.map((t) => zeroPadValue(t, 32)),
    data: encoded.data,
    blockNumber: block,
    blockHash: `0x${block.toString(16).padStart(64, "0")}`,
    transactionHash: `0x${(block * 100 + i).toString(16).padStart(64, "0")}`,
    logIndex: i,
  };
}

function range(from: number, to: number, logs: Log[]): BlockRange {
  return { from, to, logs, head: { number: to, hash: "0x", parentHash: "0x", timestamp: 0 } };
}

describe("Transfer detectors", function () {
  it("flags a single transfer out of the vault at or above the threshold, and nothing else", function () {
    const d = largeTransferDetector({ token: TOKEN, from: VAULT, threshold: 100n });
    const findings = d.evaluate({
      pool,
      range: range(1, 3, [transfer(1, VAULT, 99n), transfer(2, VAULT, 100n), transfer(3, USER, 1_000n)]),
    }) as DetectorFinding[];
    expect(findings.map((f) => f.blockNumber)).to.deep.equal([2]);
    expect(findings[0]?.summary).to.match(/100 of .* in one transfer/);
  });

  it("flags outflow volume once when a sliding window of blocks crosses the threshold", function () {
    const d = outflowVolumeDetector({ token: TOKEN, from: VAULT, windowBlocks: 3, threshold: 100n });
    const first = d.evaluate({
      pool,
      range: range(1, 2, [transfer(1, VAULT, 40n), transfer(2, VAULT, 40n)]),
    }) as unknown[];
    expect(first).to.have.length(0);
    // Window of 3 blocks: at block 3 it holds blocks 1..3 (120, crossing); at 5 it holds 3..5 (90), at 6 4..6 (80).
    const second = d.evaluate({
      pool,
      range: range(3, 6, [transfer(3, VAULT, 40n), transfer(5, VAULT, 50n), transfer(6, VAULT, 30n)]),
    }) as DetectorFinding[];
    expect(second.map((f) => [f.blockNumber, f.data.total])).to.deep.equal([[3, "120"]]);
  });

  it("forgets reorged blocks", function () {
    const d = outflowVolumeDetector({ token: TOKEN, from: VAULT, windowBlocks: 10, threshold: 100n });
    d.evaluate({ pool, range: range(1, 2, [transfer(1, VAULT, 30n), transfer(2, VAULT, 60n)]) });
    d.onReorg?.(1); // block 2 is gone
    const after = d.evaluate({ pool, range: range(2, 2, [transfer(2, VAULT, 60n, 1)]) }) as DetectorFinding[];
    expect(after).to.have.length(0); // 30 + 60, not 30 + 60 + 60
  });
});
