import { createMPT, createMerkleProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { bytesToHex, createAccount, hexToBytes } from "@ethereumjs/util";
import { expect } from "chai";
import { keccak256, toBeHex } from "ethers";

import {
  EMPTY_CODE_HASH,
  EMPTY_TRIE_ROOT,
  InvalidProof,
  verifyAccountProof,
  verifyStorageProof,
  verifyStorageProofs,
} from "@cordon/keeper/proof/index.js";

const hash = (hex: string) => hexToBytes(keccak256(hex) as `0x${string}`);
const hexProof = (proof: Uint8Array[]) => proof.map((node) => bytesToHex(node));

/** A storage trie with `slots` (slot => value), built as a node would: keys hashed, values RLP-encoded words. */
async function storageTrie(slots: Map<bigint, bigint>) {
  const trie = await createMPT({ useKeyHashing: false });
  for (const [slot, value] of slots) {
    await trie.put(hash(toBeHex(slot, 32)), RLP.encode(hexToBytes(toBeHex(value) as `0x${string}`)));
  }
  return trie;
}

describe("proof/merkle: EIP-1186 proofs checked with @ethereumjs/mpt", function () {
  const slots = new Map<bigint, bigint>(Array.from({ length: 40 }, (_, i) => [BigInt(i * 7), BigInt(1000 + i)]));

  it("proves each slot's value, and a slot that is not there as zero", async function () {
    const trie = await storageTrie(slots);
    const root = bytesToHex(trie.root());
    for (const slot of [0n, 7n, 273n]) {
      const proof = hexProof(await createMerkleProof(trie, hash(toBeHex(slot, 32))));
      expect(await verifyStorageProof(root, slot, proof)).to.equal(slots.get(slot));
    }
    const absent = hexProof(await createMerkleProof(trie, hash(toBeHex(5n, 32))));
    expect(await verifyStorageProof(root, 5n, absent)).to.equal(0n);
    const entries = await Promise.all(
      [...slots.keys()].map(async (slot) => ({
        slot,
        proof: hexProof(await createMerkleProof(trie, hash(toBeHex(slot, 32)))),
      })),
    );
    expect(await verifyStorageProofs(root, entries)).to.deep.equal([...slots.values()]);
  });

  it("rejects an altered node, a proof for another root, a truncated proof and an empty one", async function () {
    const trie = await storageTrie(slots);
    const root = bytesToHex(trie.root());
    const proof = hexProof(await createMerkleProof(trie, hash(toBeHex(7n, 32))));
    const altered: string[] = [...proof];
    altered[altered.length - 1] = altered.at(-1)!.slice(0, -2) + (altered.at(-1)!.endsWith("00") ? "01" : "00");
    const other = bytesToHex((await storageTrie(new Map([[7n, 1n]]))).root());
    for (const [r, p] of [
      [root, altered],
      [other, proof],
      [root, proof.slice(0, -1)],
      [root, []],
    ] as [string, string[]][]) {
      const error = await verifyStorageProof(r, 7n, p).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InvalidProof);
    }
    // A proof taken for slot 7 says nothing about slot 14, whose path leaves its nodes.
    const error = await verifyStorageProof(root, 14n, proof).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidProof);
  });

  it("an empty storage trie has an empty proof: every slot is zero", async function () {
    expect(await verifyStorageProof(EMPTY_TRIE_ROOT, 3n, [])).to.equal(0n);
  });

  it("proves an account and an account that does not exist", async function () {
    const trie = await createMPT({ useKeyHashing: false });
    const address = "0x00000000000000000000000000000000000000c0";
    const account = createAccount({
      nonce: 3n,
      balance: 10n ** 18n,
      codeHash: hash("0x6001"),
      storageRoot: hash("0x01"),
    });
    await trie.put(hash(address), account.serialize());
    await trie.put(hash("0x00000000000000000000000000000000000000c1"), createAccount({ nonce: 1n }).serialize());
    const root = bytesToHex(trie.root());
    const proven = await verifyAccountProof(root, address, hexProof(await createMerkleProof(trie, hash(address))));
    expect(proven).to.deep.equal({
      address,
      exists: true,
      nonce: 3n,
      balance: 10n ** 18n,
      storageRoot: keccak256("0x01"),
      codeHash: keccak256("0x6001"),
    });
    const nobody = "0x00000000000000000000000000000000000000c2";
    const absent = await verifyAccountProof(root, nobody, hexProof(await createMerkleProof(trie, hash(nobody))));
    expect(absent).to.include({ exists: false, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH });
  });
});
