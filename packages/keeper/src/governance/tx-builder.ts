/**
 * Exports governance calls as a Safe Transaction Builder batch file, for owners who sign in the Safe's own
 * interface rather than handing keys to a task. The checksum is the Transaction Builder's own: the keccak-256 of its
 * key-sorted serialisation of the batch with `meta.name` set to null.
 */
import { getAddress, id } from "ethers";

import type { GovernanceCall } from "./executor.js";

export interface TransactionBuilderBatch {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: {
    name: string;
    description: string;
    txBuilderVersion: string;
    createdFromSafeAddress: string;
    createdFromOwnerAddress: string;
    checksum?: string;
  };
  transactions: { to: string; value: string; data: string; contractMethod: null; contractInputsValues: null }[];
}

const TX_BUILDER_VERSION = "1.18.0";

/** The Transaction Builder's serialisation: objects as their sorted key list followed by each value. */
function serialize(json: unknown): string {
  if (Array.isArray(json)) return `[${json.map((element) => serialize(element)).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const keys = Object.keys(json).sort();
    let out = `{${JSON.stringify(keys)}`;
    for (const key of keys) out += `${serialize((json as Record<string, unknown>)[key] ?? null)},`;
    return `${out}}`;
  }
  return JSON.stringify(json ?? null);
}

/** The checksum the Transaction Builder checks on import. */
export function transactionBuilderChecksum(batch: TransactionBuilderBatch): string {
  const { checksum: _omitted, ...meta } = batch.meta;
  return id(serialize({ ...batch, meta: { ...meta, name: null } }));
}

/** A batch of `calls` from `safe` on chain `chainId`, with its checksum. */
export function exportTransactionBuilderJson(
  chainId: bigint,
  safe: string,
  calls: GovernanceCall[],
  meta: { name: string; description?: string; createdAt?: number },
): TransactionBuilderBatch {
  const batch: TransactionBuilderBatch = {
    version: "1.0",
    chainId: chainId.toString(),
    createdAt: meta.createdAt ?? Date.now(),
    meta: {
      name: meta.name,
      description: meta.description ?? calls.map((call) => call.label).join("; "),
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: getAddress(safe),
      createdFromOwnerAddress: "",
    },
    transactions: calls.map((call) => ({
      to: getAddress(call.to),
      value: (call.value ?? 0n).toString(),
      data: call.data,
      contractMethod: null,
      contractInputsValues: null,
    })),
  };
  batch.meta.checksum = transactionBuilderChecksum(batch);
  return batch;
}
