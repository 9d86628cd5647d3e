/**
 * Merkle-Patricia proof verification for `eth_getProof` answers, so `verify-state` trusts only a state root (which a
 * quorum of endpoints agrees on) and never an endpoint's word for an account or a storage slot. A proof is the list of
 * RLP-encoded trie nodes from the root to the key; each node must hash (keccak-256) to the reference its parent holds
 * (nodes shorter than 32 bytes sit inline in their parent). The walk ends in the key's value or proves its absence.
 */
import { decodeRlp, getBytes, keccak256, toBeHex, toBigInt, zeroPadValue, type RlpStructuredData } from "ethers";

import { CordonError } from "../errors.js";

/** The root of an empty trie: an account without storage has this storage hash. */
export const EMPTY_TRIE_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";
/** The code hash of an account without code: keccak-256 of nothing. */
export const EMPTY_CODE_HASH = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

/** A proof that does not lead from the root to the key. */
export class InvalidProofError extends CordonError {
  override name = "InvalidProofError";
}

export interface ProvenAccount {
  nonce: bigint;
  balance: bigint;
  storageHash: string;
  codeHash: string;
}

function nibbles(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const byte of bytes) out.push(byte >> 4, byte & 0x0f);
  return out;
}

/** Decodes a node's hex-prefix path: its nibbles and whether the node is a leaf. */
function hexPrefix(encoded: string): { path: number[]; leaf: boolean } {
  const all = nibbles(getBytes(encoded));
  const flag = all[0];
  if (flag === undefined || flag > 3) throw new InvalidProofError(`invalid hex-prefix path ${encoded}`);
  return { path: all.slice(flag & 1 ? 1 : 2), leaf: flag >= 2 };
}

function startsWith(key: number[], at: number, path: number[]): boolean {
  return path.every((nibble, i) => key[at + i] === nibble);
}

/**
 * Walks `proof` from `root` along `key` and returns the value stored there (RLP bytes as hex), or null when the proof
 * shows that the key is absent. Throws {@link InvalidProofError} when a node does not hash to its reference, a node
 * is malformed, the proof ends early or carries nodes beyond the key.
 */
export function verifyProof(root: string, key: string | Uint8Array, proof: readonly string[]): string | null {
  const path = nibbles(getBytes(key));
  let reference: RlpStructuredData = root;
  let used = 0;
  let at = 0;
  for (;;) {
    let node: RlpStructuredData;
    if (typeof reference === "string") {
      if (getBytes(reference).length !== 32) throw new InvalidProofError(`invalid node reference ${reference}`);
      const encoded = proof[used];
      if (encoded === undefined) throw new InvalidProofError(`the proof ends after ${used} nodes, before the key`);
      if (keccak256(encoded) !== reference.toLowerCase()) {
        throw new InvalidProofError(`proof node ${used} does not hash to ${reference}`, {
          details: "an endpoint altered the proof, or it belongs to another state root",
        });
      }
      used += 1;
      node = decodeRlp(encoded);
    } else {
      node = reference; // a node shorter than 32 bytes, inline in its parent
    }
    if (!Array.isArray(node)) throw new InvalidProofError(`proof node ${used - 1} is not an RLP list`);

    let value: RlpStructuredData | null | undefined;
    if (node.length === 17) {
      if (at === path.length) {
        value = node[16]!;
      } else {
        const child: RlpStructuredData = node[path[at]!]!;
        at += 1;
        if (child === "0x") value = null;
        else reference = child;
      }
    } else if (node.length === 2) {
      const { path: segment, leaf } = hexPrefix(node[0] as string);
      if (leaf) {
        value = segment.length === path.length - at && startsWith(path, at, segment) ? node[1]! : null;
      } else if (startsWith(path, at, segment) && segment.length > 0) {
        at += segment.length;
        reference = node[1]!;
      } else {
        value = null;
      }
    } else {
      throw new InvalidProofError(`proof node ${used - 1} has ${node.length} items (a trie node has 2 or 17)`);
    }

    if (value !== undefined) {
      if (used !== proof.length) throw new InvalidProofError(`the proof has ${proof.length - used} nodes past the key`);
      if (value === null || value === "0x") return null;
      if (typeof value !== "string") throw new InvalidProofError("a trie value must be a byte string");
      return value;
    }
  }
}

/** The account at `address` proven against `stateRoot`; an absent account is empty (no code, no storage). */
export function verifyAccountProof(stateRoot: string, address: string, proof: readonly string[]): ProvenAccount {
  const value = verifyProof(stateRoot, keccak256(address), proof);
  if (value === null) return { nonce: 0n, balance: 0n, storageHash: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH };
  const fields = decodeRlp(value);
  if (!Array.isArray(fields) || fields.length !== 4 || fields.some((f) => typeof f !== "string")) {
    throw new InvalidProofError(`the account value of ${address} is not [nonce, balance, storageRoot, codeHash]`);
  }
  const [nonce, balance, storageHash, codeHash] = fields as string[];
  return {
    nonce: toBigInt(getBytes(nonce!)),
    balance: toBigInt(getBytes(balance!)),
    storageHash: storageHash!,
    codeHash: codeHash!,
  };
}

/** The value of storage `slot` proven against an account's `storageHash` (0 when the slot is absent). */
export function verifyStorageProof(
  storageHash: string,
  slot: bigint | number | string,
  proof: readonly string[],
): bigint {
  const value = verifyProof(storageHash, keccak256(zeroPadValue(toBeHex(slot), 32)), proof);
  if (value === null) return 0n;
  const decoded = decodeRlp(value);
  if (typeof decoded !== "string") throw new InvalidProofError(`the value of slot ${toBeHex(slot)} is not a string`);
  return toBigInt(getBytes(decoded));
}
