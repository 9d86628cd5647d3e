/**
 * EIP-1186 proofs (`eth_getProof`) checked against a trusted root with @ethereumjs/mpt: an account against the block's
 * state root, a storage slot against the account's proven storage root. Every node is addressed by its own keccak256
 * from the root down, so an answer either verifies or is rejected; nothing the endpoint claims beside the proof (its
 * `balance`, `storageHash`, `value` fields) is believed.
 */
import { verifyMerkleProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import {
  KECCAK256_NULL,
  KECCAK256_RLP,
  bigIntToBytes,
  bytesToBigInt,
  bytesToHex,
  createAccountFromRLP,
  equalsBytes,
  hexToBytes,
  setLengthLeft,
} from "@ethereumjs/util";
import { keccak256 } from "ethers";

/** An account as its proof shows it; `exists: false` is a proof that there is no account at the address. */
export interface ProvenAccount {
  address: string;
  exists: boolean;
  nonce: bigint;
  balance: bigint;
  storageRoot: string;
  codeHash: string;
}

/** The storage root of an account with no storage, and the code hash of an account with no code. */
export const EMPTY_TRIE_ROOT = bytesToHex(KECCAK256_RLP);
export const EMPTY_CODE_HASH = bytesToHex(KECCAK256_NULL);

/** A proof that does not verify against the trusted root. */
export class InvalidProof extends Error {
  override name = "InvalidProof";
}

const keccak = (data: Uint8Array) => hexToBytes(keccak256(data) as `0x${string}`);

/** The value a proof of `key` shows under `root` (null: a valid proof of absence). Throws {@link InvalidProof}. */
async function proven(root: Uint8Array, key: Uint8Array, proof: string[]): Promise<Uint8Array | null> {
  if (proof.length === 0) {
    // Only the empty trie has an empty proof.
    if (equalsBytes(root, KECCAK256_RLP)) return null;
    throw new InvalidProof("the proof is empty but the trie is not");
  }
  let nodes: Uint8Array[];
  try {
    nodes = proof.map((node) => hexToBytes(node as `0x${string}`));
  } catch {
    throw new InvalidProof("a proof node is not hex");
  }
  if (!equalsBytes(keccak(nodes[0]!), root)) throw new InvalidProof("the proof's first node does not hash to the root");
  try {
    return await verifyMerkleProof(keccak(key), nodes, { root, useKeyHashing: false });
  } catch {
    throw new InvalidProof("the proof's nodes do not lead from the root to the key");
  }
}

/** Verifies an account proof against `stateRoot`. Throws {@link InvalidProof}. */
export async function verifyAccountProof(stateRoot: string, address: string, proof: string[]): Promise<ProvenAccount> {
  const value = await proven(hexToBytes(stateRoot as `0x${string}`), hexToBytes(address as `0x${string}`), proof);
  if (value === null) {
    return {
      address: address.toLowerCase(),
      exists: false,
      nonce: 0n,
      balance: 0n,
      storageRoot: EMPTY_TRIE_ROOT,
      codeHash: EMPTY_CODE_HASH,
    };
  }
  let account;
  try {
    account = createAccountFromRLP(value);
  } catch {
    throw new InvalidProof("the proven leaf is not an account");
  }
  return {
    address: address.toLowerCase(),
    exists: true,
    nonce: account.nonce,
    balance: account.balance,
    storageRoot: bytesToHex(account.storageRoot),
    codeHash: bytesToHex(account.codeHash),
  };
}

/** Verifies a storage proof of `slot` against the account's `storageRoot`; returns the slot's value. */
export async function verifyStorageProof(storageRoot: string, slot: bigint, proof: string[]): Promise<bigint> {
  const value = await proven(hexToBytes(storageRoot as `0x${string}`), slotKey(slot), proof);
  if (value === null) return 0n;
  let decoded;
  try {
    decoded = RLP.decode(value);
  } catch {
    throw new InvalidProof("the proven leaf is not an RLP value");
  }
  if (!(decoded instanceof Uint8Array) || decoded.length > 32) throw new InvalidProof("the proven leaf is not a word");
  return bytesToBigInt(decoded);
}

/** A storage slot as the 32-byte key eth_getProof and the trie use. */
export function slotKey(slot: bigint): Uint8Array {
  return setLengthLeft(bigIntToBytes(slot), 32);
}

/** Whether `code` is the code a proven account's `codeHash` commits to. */
export function codeMatches(codeHash: string, code: Uint8Array): boolean {
  return keccak256(code) === codeHash.toLowerCase();
}
