/**
 * Oracle deviation and staleness: a Chainlink AggregatorV3-style feed the protocol prices with, against a reference
 * feed for the same pair, both read from a quorum of endpoints at each range's last block. A manipulated or broken
 * feed shows as a deviation from the reference; a feed that stopped updating shows as stale (its `updatedAt` older
 * than `maxAgeSeconds` at the block's timestamp). One finding per episode of each kind, not one per block.
 */
import { Interface } from "ethers/abi";

import { CordonError } from "../errors.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";
import type { Severity } from "../domain/types.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

const aggregatorInterface = new Interface([
  "function decimals() view returns (uint8)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
]);

export interface OracleDeviationOptions {
  name?: string;
  /** The feed the protocol uses (`latestRoundData()`, `decimals()`). */
  feed: string;
  /** An independent feed for the same pair. */
  reference: string;
  /** A difference above this many basis points of the reference's answer is a finding. */
  maxDeviationBps: number;
  /** A feed (or reference) last updated longer ago than this, at the block's timestamp, is a finding. */
  maxAgeSeconds?: number;
  severity?: Severity;
  response?: Response;
}

interface RoundData {
  /** The answer scaled to 18 decimals. */
  price: bigint;
  answer: bigint;
  decimals: number;
  updatedAt: number;
}

type Episode = "deviation" | "stale-feed" | "stale-reference";

/** Reads a feed's latest round and decimals from a quorum, pinned to `block`. */
async function readFeed(pool: RpcPool, address: string, block: number): Promise<RoundData> {
  const call = async (fn: "decimals" | "latestRoundData") => {
    const data = aggregatorInterface.encodeFunctionData(fn);
    const read = await pool.quorumRead<string>("eth_call", [{ to: address, data }, hexNumber(block)]);
    return aggregatorInterface.decodeFunctionResult(fn, read.result);
  };
  const [[decimals], round] = await Promise.all([call("decimals"), call("latestRoundData")]);
  const answer = BigInt(round.answer as bigint);
  const d = Number(decimals);
  const price = d <= 18 ? answer * 10n ** BigInt(18 - d) : answer / 10n ** BigInt(d - 18);
  return { price, answer, decimals: d, updatedAt: Number(round.updatedAt) };
}

export function oracleDeviationDetector(options: OracleDeviationOptions): Detector {
  const name = options.name ?? "oracle-deviation";
  if (!(options.maxDeviationBps >= 0)) {
    throw new CordonError(`${name}: maxDeviationBps ${options.maxDeviationBps} must be a number >= 0`, {
      details: "basis points: 100 means 1%",
    });
  }
  if (options.maxAgeSeconds !== undefined && !(options.maxAgeSeconds > 0)) {
    throw new CordonError(`${name}: maxAgeSeconds ${options.maxAgeSeconds} must be above 0, or left out`);
  }
  const maxBps = BigInt(Math.round(options.maxDeviationBps));
  /** Which episodes were open after each evaluated block (only changes are kept), so a reorg can go back. */
  let history: { block: number; open: Set<Episode> }[] = [];

  return {
    name,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const [feed, reference] = await Promise.all([
        readFeed(pool, options.feed, range.to),
        readFeed(pool, options.reference, range.to),
      ]);
      const timestamp = range.head.timestamp;
      const found = new Map<Episode, { summary: string; data: Record<string, unknown> }>();
      const figures = {
        feed: options.feed,
        reference: options.reference,
        feedAnswer: feed.answer.toString(),
        feedDecimals: feed.decimals,
        referenceAnswer: reference.answer.toString(),
        referenceDecimals: reference.decimals,
      };

      const diff = feed.price > reference.price ? feed.price - reference.price : reference.price - feed.price;
      // A reference at or below zero is broken: any feed answer counts as deviating from it.
      const deviationBps = reference.price > 0n ? (diff * 10_000n) / reference.price : undefined;
      if (deviationBps === undefined || deviationBps > maxBps) {
        found.set("deviation", {
          summary:
            `feed ${options.feed} answers ${feed.answer} (${feed.decimals} decimals), reference ${options.reference} ` +
            `answers ${reference.answer} (${reference.decimals} decimals) at block ${range.to}: ` +
            `${deviationBps === undefined ? "the reference is not positive" : `${deviationBps} bps apart`} ` +
            `(max ${options.maxDeviationBps} bps)`,
          data: { ...figures, deviationBps: deviationBps?.toString(), maxDeviationBps: options.maxDeviationBps },
        });
      }
      if (options.maxAgeSeconds !== undefined) {
        for (const [episode, address, round] of [
          ["stale-feed", options.feed, feed],
          ["stale-reference", options.reference, reference],
        ] as const) {
          const age = timestamp - round.updatedAt;
          if (age <= options.maxAgeSeconds) continue;
          found.set(episode, {
            summary:
              `${episode === "stale-feed" ? "feed" : "reference"} ${address} was last updated ${age} s before ` +
              `block ${range.to} (updatedAt ${round.updatedAt}, max age ${options.maxAgeSeconds} s)`,
            data: {
              ...figures,
              oracle: address,
              updatedAt: round.updatedAt,
              blockTimestamp: timestamp,
              ageSeconds: age,
            },
          });
        }
      }

      const before = history.at(-1)?.open ?? new Set<Episode>();
      const open = new Set(found.keys());
      if (open.size !== before.size || [...open].some((e) => !before.has(e))) {
        history.push({ block: range.to, open });
        history = history.slice(-256); // deeper than any reorg the follower can handle
      }
      return [...found]
        .filter(([episode]) => !before.has(episode))
        .map(([episode, { summary, data }]) => ({
          blockNumber: range.to,
          blockHash: range.head.hash,
          detector: name,
          severity: options.severity ?? "high",
          summary,
          data: { kind: episode, ...data },
          response: options.response,
        }));
    },
    onReorg(ancestor: number) {
      history = history.filter((h) => h.block <= ancestor);
    },
  };
}
