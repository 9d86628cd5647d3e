/**
 * What the mempool tests and `npm run bench:mempool` build their stage from: the detector that sees the sample
 * vault's drain (a transfer of more than 500 tokens out of it, critical, answered with a pause) and the node's newest
 * block as the stage's head.
 */
import type { JsonRpcProvider } from "ethers";

import { largeTransferDetector } from "@cordon/keeper/detectors/transfers.js";
import type { Detector } from "@cordon/keeper/detectors/types.js";

const E18 = 10n ** 18n;

/** A transfer of more than 500 tokens out of `vault`: critical, answered with a protocol pause. */
export function vaultDrainDetector(token: string, vault: string): Detector {
  return largeTransferDetector({
    token,
    from: vault,
    threshold: 500n * E18,
    severity: "critical",
    response: { kind: "pause", reason: 0x0101 },
  });
}

/** The node's newest block as a mempool stage's head (the block pending transactions are simulated on). */
export async function latestHead(provider: JsonRpcProvider) {
  const block = (await provider.getBlock("latest"))!;
  return {
    number: block.number,
    hash: block.hash!,
    parentHash: block.parentHash,
    timestamp: block.timestamp,
    baseFeePerGas: block.baseFeePerGas!,
  };
}
