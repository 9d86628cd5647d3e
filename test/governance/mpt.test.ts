import { expect } from "chai";
import { type JsonRpcProvider, Wallet, encodeRlp, getAddress, getCreateAddress, keccak256, toBeHex } from "ethers";

import {
  EMPTY_CODE_HASH,
  EMPTY_TRIE_ROOT,
  InvalidProofError,
  verifyAccountProof,
  verifyProof,
  verifyStorageProof,
} from "@cordon/keeper/governance/mpt.js";
import { corrupt } from "@cordon/testkit/fault-proxy.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";

interface ProofAnswer {
  balance: string;
  nonce: string;
  codeHash: string;
  storageHash: string;
  accountProof: string[];
  storageProof: { key: string; value: string; proof: string[] }[];
}

/** Init code that stores `i + 1` in slots 0..count-1 and deploys no code: a storage trie of several levels. */
function storingInitCode(count: number): string {
  let code = "0x";
  for (let i = 0; i < count; i++)
    code += `60${(i + 1).toString(16).padStart(2, "0")}60${i.toString(16).padStart(2, "0")}55`;
  return `${code}00`;
}

describe("governance/mpt: Merkle-Patricia proofs", function () {
  describe("hand-built tries", function () {
    // A branch whose child at nibble 0 is a leaf short enough to sit inline: key 0x01 holds 0x05.
    const inlineLeaf = ["0x31", "0x05"];
    const branch = encodeRlp([inlineLeaf, ...Array<string>(16).fill("0x")]);
    const root = keccak256(branch);

    it("follows an inline node to the value and proves absent keys absent", function () {
      expect(verifyProof(root, "0x01", [branch])).to.equal("0x05");
      expect(verifyProof(root, "0x02", [branch])).to.equal(null); // the leaf's path differs
      expect(verifyProof(root, "0x10", [branch])).to.equal(null); // the branch has no child at nibble 1
    });

    it("rejects a node that does not hash to its reference, a short proof and extra nodes", function () {
      const tampered = encodeRlp([["0x31", "0x06"], ...Array<string>(16).fill("0x")]);
      expect(() => verifyProof(root, "0x01", [tampered])).to.throw(InvalidProofError, "does not hash to");
      expect(() => verifyProof(root, "0x01", [])).to.throw(InvalidProofError, "ends after 0 nodes");
      expect(() => verifyProof(root, "0x01", [branch, branch])).to.throw(InvalidProofError, "1 nodes past the key");
    });

    it("reads a leaf at the root through its hex-prefix path (even and odd)", function () {
      const even = encodeRlp(["0x20abcd", "0x2a"]);
      expect(verifyProof(keccak256(even), "0xabcd", [even])).to.equal("0x2a");
      expect(verifyProof(keccak256(even), "0xabce", [even])).to.equal(null);
      const extension = encodeRlp(["0x1a", keccak256(even)]); // odd extension over nibble a, then the leaf
      expect(() => verifyProof(keccak256(extension), "0xabcd", [extension])).to.throw(InvalidProofError, "ends");
    });
  });

  describe("eth_getProof from a hardhat node", function () {
    this.timeout(60_000);
    let chain: TestChain;
    let provider: JsonRpcProvider;
    let holder: string;
    let block: { stateRoot: string; number: string };
    const proof = (address: string, slots: number[], tag = block.number) =>
      chain.node.rpc<ProofAnswer>("eth_getProof", [address, slots.map((s) => toBeHex(s, 32)), tag]);

    before(async function () {
      chain = await startTestChain([]);
      provider = chain.provider;
      const deployer = await chain.wallet(TEST_KEYS.deployer);
      const nonce = await provider.getTransactionCount(deployer.address);
      await (await deployer.sendTransaction({ data: storingInitCode(40) })).wait();
      holder = getCreateAddress({ from: deployer.address, nonce });
      block = await chain.node.rpc("eth_getBlockByNumber", ["latest", false]);
    });

    after(async function () {
      await chain?.stop();
    });

    it("proves an account and its storage against the block's state root", async function () {
      const answer = await proof(holder, [0, 7, 39, 40, 1000]);
      const account = verifyAccountProof(block.stateRoot, holder, answer.accountProof);
      expect(account.storageHash).to.equal(answer.storageHash);
      expect(account.codeHash).to.equal(EMPTY_CODE_HASH);
      expect(account.storageHash).to.not.equal(EMPTY_TRIE_ROOT);
      const values = answer.storageProof.map((p, i) =>
        verifyStorageProof(account.storageHash, [0, 7, 39, 40, 1000][i]!, p.proof),
      );
      expect(values).to.deep.equal([1n, 8n, 40n, 0n, 0n]);
    });

    it("proves an externally owned account's balance and nonce, and an account that does not exist", async function () {
      const deployer = new Wallet(TEST_KEYS.deployer).address;
      const answer = await proof(deployer, []);
      const account = verifyAccountProof(block.stateRoot, deployer, answer.accountProof);
      expect(account.balance).to.equal(BigInt(answer.balance));
      expect(account.nonce).to.equal(1n);
      const nobody = getAddress("0x00000000000000000000000000000000000c0de5");
      const absent = verifyAccountProof(block.stateRoot, nobody, (await proof(nobody, [])).accountProof);
      expect(absent).to.deep.equal({ nonce: 0n, balance: 0n, storageHash: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH });
    });

    it("rejects a tampered node, another block's root and another slot's proof", async function () {
      const answer = await proof(holder, [7]);
      const { storageHash } = verifyAccountProof(block.stateRoot, holder, answer.accountProof);
      const nodes = answer.storageProof[0]!.proof;
      const tampered = nodes.map((n, i) => (i === nodes.length - 1 ? corrupt(n) : n));
      expect(() => verifyStorageProof(storageHash, 7, tampered)).to.throw(InvalidProofError, "does not hash to");

      const genesis = await chain.node.rpc<{ stateRoot: string }>("eth_getBlockByNumber", ["0x0", false]);
      expect(() => verifyAccountProof(genesis.stateRoot, holder, answer.accountProof)).to.throw(InvalidProofError);

      // Slot 7's proof cannot pass for slot 8's value.
      let other: bigint | undefined;
      try {
        other = verifyStorageProof(storageHash, 8, nodes);
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidProofError);
      }
      expect(other === 8n, "slot 7's proof does not give slot 8's value").to.equal(false);
    });
  });
});
