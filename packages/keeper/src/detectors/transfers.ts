/**
 * Detectors over ERC-20 Transfer logs: a single large transfer out of a protocol contract, and the outflow volume
 * out of it over a sliding window of blocks.
 */
import { getAddress } from "ethers/address";

import { TRANSFER_TOPIC } from "../contracts/abi.js";
import type { Log } from "../follower/follower.js";
import type { Severity } from "../domain/types.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

interface TransferOut {
  blockNumber: number;
  blockHash: string;
  tx: string;
  /** Lower-case; checksummed only when it goes into a finding. */
  to: string;
  value: bigint;
}

/**
 * The ERC-20 Transfers of `token` out of `from` in `logs`. Decoded straight from the words (`from` and `to` are the
 * low 20 bytes of topics 1 and 2, the value the first data word) rather than through an ABI decoder: on a catch-up
 * this runs for every log of every watched contract, and the decoder's hashing and checksumming cost more than
 * everything else together. Logs that are not a standard Transfer (e.g. ERC-721's, with an indexed id and no data)
 * are skipped, as the decoder would.
 */
const ADDRESS_WORD_PREFIX = `0x${"0".repeat(24)}`;

function transfersOut(logs: Log[], token: string, from: string): TransferOut[] {
  const tokenLc = token.toLowerCase();
  const fromWord = `${ADDRESS_WORD_PREFIX}${from.toLowerCase().slice(2)}`;
  const out: TransferOut[] = [];
  for (const log of logs) {
    if (log.address !== tokenLc || log.topics.length !== 3 || log.topics[0] !== TRANSFER_TOPIC) continue;
    const fromTopic = log.topics[1]!;
    if ((fromTopic !== fromWord && fromTopic.toLowerCase() !== fromWord) || log.data.length < 66) continue;
    if (!log.topics[2]!.startsWith(ADDRESS_WORD_PREFIX)) continue; // not an address: the decoder would refuse it
    out.push({
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      tx: log.transactionHash,
      to: `0x${log.topics[2]!.slice(26).toLowerCase()}`,
      value: BigInt(log.data.length === 66 ? log.data : log.data.slice(0, 66)),
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
        .map((t) => {
          const to = getAddress(t.to);
          return {
            blockNumber: t.blockNumber,
            blockHash: t.blockHash,
            detector: options.name ?? "large-transfer",
            severity: options.severity ?? "high",
            summary: `${t.value} of ${options.token} left ${options.from} to ${to} in one transfer (threshold ${options.threshold})`,
            data: { tx: t.tx, to, value: t.value.toString(), threshold: options.threshold.toString() },
            response: options.response,
          };
        });
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
        const block = byBlock.get(t.blockNumber);
        if (block === undefined) byBlock.set(t.blockNumber, [t]);
        else block.push(t);
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
