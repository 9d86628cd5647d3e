/**
 * Detectors over ERC-20 Transfer logs: a single large transfer out of a protocol contract, and the outflow volume
 * out of it over a sliding window of blocks.
 */
import { getAddress } from "ethers";

import { erc20Interface, TRANSFER_TOPIC } from "../contracts/abi.js";
import type { Log } from "../follower/follower.js";
import type { Severity } from "../store/store.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

interface TransferOut {
  blockNumber: number;
  blockHash: string;
  tx: string;
  to: string;
  value: bigint;
}

function transfersOut(logs: Log[], token: string, from: string): TransferOut[] {
  const tokenLc = token.toLowerCase();
  const fromLc = from.toLowerCase();
  const out: TransferOut[] = [];
  for (const log of logs) {
    if (log.address !== tokenLc || log.topics[0] !== TRANSFER_TOPIC || log.topics.length < 3) continue;
    const parsed = erc20Interface.parseLog({ topics: log.topics, data: log.data });
    if (parsed === null || String(parsed.args.from).toLowerCase() !== fromLc) continue;
    out.push({
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      tx: log.transactionHash,
      to: getAddress(String(parsed.args.to)),
      value: BigInt(parsed.args.value as bigint),
    });
  }
  return out;
}

export interface LargeTransferOptions {
  name?: string;
  token: string;
  /** The protocol contract funds leave from. */
  from: string;
  /** A single transfer at or above this (base units) is a finding. */
  threshold: bigint;
  severity?: Severity;
  response?: Response;
}

export function largeTransferDetector(options: LargeTransferOptions): Detector {
  return {
    name: options.name ?? "large-transfer",
    evaluate({ range }: DetectorContext): DetectorFinding[] {
      return transfersOut(range.logs, options.token, options.from)
        .filter((t) => t.value >= options.threshold)
        .map((t) => ({
          blockNumber: t.blockNumber,
          blockHash: t.blockHash,
          detector: options.name ?? "large-transfer",
          severity: options.severity ?? "high",
          summary: `${t.value} of ${options.token} left ${options.from} to ${t.to} in one transfer (threshold ${options.threshold})`,
          data: { tx: t.tx, to: t.to, value: t.value.toString(), threshold: options.threshold.toString() },
          response: options.response,
        }));
    },
  };
}

export interface OutflowVolumeOptions {
  name?: string;
  token: string;
  from: string;
  /** The window, in blocks. */
  windowBlocks: number;
  /** Total outflow within any window at or above this (base units) is a finding. */
  threshold: bigint;
  severity?: Severity;
  response?: Response;
}

/** Outflow volume over a sliding window of blocks; one finding per block where the window crosses the threshold. */
export function outflowVolumeDetector(options: OutflowVolumeOptions): Detector {
  const name = options.name ?? "outflow-volume";
  let window: TransferOut[] = [];
  return {
    name,
    evaluate({ range }: DetectorContext): DetectorFinding[] {
      const findings: DetectorFinding[] = [];
      const byBlock = new Map<number, TransferOut[]>();
      for (const t of transfersOut(range.logs, options.token, options.from)) {
        byBlock.set(t.blockNumber, [...(byBlock.get(t.blockNumber) ?? []), t]);
      }
      for (const block of [...byBlock.keys()].sort((a, b) => a - b)) {
        const transfers = byBlock.get(block)!;
        window = window.filter((t) => t.blockNumber > block - options.windowBlocks).concat(transfers);
        const total = window.reduce((sum, t) => sum + t.value, 0n);
        const before = total - transfers.reduce((sum, t) => sum + t.value, 0n);
        if (total >= options.threshold && before < options.threshold) {
          findings.push({
            blockNumber: block,
            blockHash: transfers[0]!.blockHash,
            detector: name,
            severity: options.severity ?? "critical",
            summary: `${total} of ${options.token} left ${options.from} within ${options.windowBlocks} blocks (threshold ${options.threshold})`,
            data: { total: total.toString(), threshold: options.threshold.toString(), txs: transfers.map((t) => t.tx) },
            response: options.response,
          });
        }
      }
      return findings;
    },
    onReorg(ancestor: number) {
      window = window.filter((t) => t.blockNumber <= ancestor);
    },
  };
}
