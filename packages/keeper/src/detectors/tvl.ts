/**
 * A drop in what a protocol holds: the holder's token balance, read from a quorum of endpoints at each range's last
 * block, against the highest balance seen within a window of blocks. A drain that stays under the per-transfer and
 * per-window outflow thresholds (many small transfers, or funds leaving through a token the transfer detectors do
 * not watch) still shows here.
 */
import { erc20Interface } from "../contracts/abi.js";
import { CordonError } from "../errors.js";
import { hexNumber } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

const balanceOfInterface = erc20Interface;

export interface TvlDropOptions {
  name?: string;
  token: string;
  /** The protocol contract holding the funds. */
  holder: string;
  /** The window, in blocks, over which the highest balance is the reference. */
  windowBlocks: number;
  /** A drop of at least this percentage of the window's highest balance is a finding (20 for 20%). */
  dropPercent: number;
  severity?: Severity;
  response?: Response;
}

interface Sample {
  block: number;
  balance: bigint;
  /** Whether the balance was down by `dropPercent` or more at this block (the finding was made on the way down). */
  dropped: boolean;
}

/** One finding each time the balance crosses below the drop threshold; none while it stays down. */
export function tvlDropDetector(options: TvlDropOptions): Detector {
  const name = options.name ?? "tvl-drop";
  if (!Number.isInteger(options.windowBlocks) || options.windowBlocks < 1) {
    throw new CordonError(`${name}: windowBlocks ${options.windowBlocks} must be a whole number of blocks >= 1`);
  }
  if (!(options.dropPercent > 0 && options.dropPercent <= 100)) {
    throw new CordonError(`${name}: dropPercent ${options.dropPercent} must be above 0 and at most 100`, {
      details: "it is a percentage: 20 means a drop of 20% from the window's highest balance",
    });
  }
  // Hundredths of a percent, so the comparison stays in integers.
  const dropBps = BigInt(Math.round(options.dropPercent * 100));
  let samples: Sample[] = [];

  return {
    name,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const data = balanceOfInterface.encodeFunctionData("balanceOf", [options.holder]);
      const read = await pool.quorumRead<string>("eth_call", [{ to: options.token, data }, hexNumber(range.to)]);
      const balance = BigInt(read.result);
      samples = samples.filter((s) => s.block > range.to - options.windowBlocks && s.block < range.to);
      const peak = samples.reduce((max, s) => (s.balance > max ? s.balance : max), balance);
      const dropped = peak > 0n && (peak - balance) * 10_000n >= peak * dropBps;
      const wasDropped = samples.at(-1)?.dropped ?? false;
      samples.push({ block: range.to, balance, dropped });
      if (!dropped || wasDropped) return [];

      const dropTenths = Number(((peak - balance) * 1_000n) / peak) / 10;
      return [
        {
          blockNumber: range.to,
          blockHash: range.head.hash,
          detector: name,
          severity: options.severity ?? "critical",
          summary:
            `${options.holder} holds ${balance} of ${options.token} at block ${range.to}, down ${dropTenths}% from ` +
            `${peak} within ${options.windowBlocks} blocks (threshold ${options.dropPercent}%)`,
          data: {
            holder: options.holder,
            token: options.token,
            balance: balance.toString(),
            peak: peak.toString(),
            dropPercent: dropTenths,
            thresholdPercent: options.dropPercent,
            windowBlocks: options.windowBlocks,
            agreed: read.agreed,
          },
          response: options.response,
        },
      ];
    },
    onReorg(ancestor: number) {
      samples = samples.filter((s) => s.block <= ancestor);
    },
  };
}
