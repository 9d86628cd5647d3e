/**
 * EIP-1186 proofs (`eth_getProof`) checked against a trusted root with @ethereumjs/mpt: an account against the block's
 * state root, a storage slot against the account's proven storage root. Every node is addressed by its own keccak256
 * from the root down, so an answer either verifies or is rejected; nothing the endpoint claims beside the proof (its
 * `balance`, `storageHash`, `value` fields) is believed.
 */
import { MerklePatriciaTrie, updateMPTFromMerkleProof } from "@ethereumjs/mpt";
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
import { keccak256 } from "ethers/crypto";

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

/**
 * The values that `proofs` show under `root` for `keys` (null: a valid proof of absence). The nodes of all the proofs
 * go into one partial trie, each stored under its own hash, so nodes shared by several proofs are hashed once; a key
 * whose path leaves the nodes given throws {@link InvalidProof}.
 */
async function proven(root: Uint8Array, keys: Uint8Array[], proofs: string[][]): Promise<(Uint8Array | null)[]> {
  if (keys.length === 0) return [];
  const unique = new Set<string>();
  for (const proof of proofs) for (const node of proof) unique.add(node.toLowerCase());
  if (unique.size === 0) {
    // Only the empty trie has an empty proof.
    if (equalsBytes(root, KECCAK256_RLP)) return keys.map(() => null);
    throw new InvalidProof("the proof is empty but the trie is not");
  }
  let nodes: Uint8Array[];
  try {
    nodes = [...unique].map((node) => hexToBytes(node as `0x${string}`));
  } catch {
    throw new InvalidProof("a proof node is not hex");
  }
  const trie = new MerklePatriciaTrie({ useKeyHashing: false });
  await updateMPTFromMerkleProof(trie, nodes);
  trie.root(root);
  const values: (Uint8Array | null)[] = [];
  for (const key of keys) {
    try {
      values.push(await trie.get(keccak(key), true));
    } catch {
      throw new InvalidProof("the proof's nodes do not lead from the root to the key");
    }
  }
  return values;
}

/** Verifies an account proof against `stateRoot`. Throws {@link InvalidProof}. */
export async function verifyAccountProof(stateRoot: string, address: string, proof: string[]): Promise<ProvenAccount> {
  const root = hexToBytes(stateRoot as `0x${string}`);
  const value = (await proven(root, [hexToBytes(address as `0x${string}`)], [proof]))[0] ?? null;
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
  return (await verifyStorageProofs(storageRoot, [{ slot, proof }]))[0]!;
}

/** Verifies the storage proofs of several slots of one account at once; returns their values in order. */
export async function verifyStorageProofs(
  storageRoot: string,
  entries: { slot: bigint; proof: string[] }[],
): Promise<bigint[]> {
  const values = await proven(
    hexToBytes(storageRoot as `0x${string}`),
    entries.map((e) => slotKey(e.slot)),
    entries.map((e) => e.proof),
  );
  return values.map((value) => {
    if (value === null) return 0n;
    let decoded;
    try {
      decoded = RLP.decode(value);
    } catch {
      throw new InvalidProof("the proven leaf is not an RLP value");
    }
    if (!(decoded instanceof Uint8Array) || decoded.length > 32)
      throw new InvalidProof("the proven leaf is not a word");
    return bytesToBigInt(decoded);
  });
}

/** A storage slot as the 32-byte key eth_getProof and the trie use. */
export function slotKey(slot: bigint): Uint8Array {
  return setLengthLeft(bigIntToBytes(slot), 32);
}

/** Whether `code` is the code a proven account's `codeHash` commits to. */
export function codeMatches(codeHash: string, code: Uint8Array): boolean {
  return keccak256(code) === codeHash.toLowerCase();
}
