/**
 * The keeper's signing key (config/key.ts): the address and the signed transactions of ethers' Wallet for the same
 * private key, byte for byte (both sign deterministically), without loading a Wallet; the key itself never in its
 * JSON or its inspection; and a transaction it signs is mined by a real node as sent from its address.
 */
import { inspect } from "node:util";

import { expect } from "chai";
import { Transaction, Wallet, parseUnits } from "ethers";

import { KeeperKey } from "@cordon/keeper/config/key.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";

const tx = {
  to: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  data: "0x8456cb59",
  nonce: 7,
  gasLimit: 120_000n,
  maxFeePerGas: parseUnits("30", "gwei"),
  maxPriorityFeePerGas: parseUnits("2", "gwei"),
  chainId: 31337n,
  type: 2,
};

describe("keeper key", function () {
  it("has the Wallet's address and signs the same bytes, with or without 0x", async function () {
    for (const key of [TEST_KEYS.keeper, TEST_KEYS.keeper.slice(2), TEST_KEYS.deployer]) {
      const wallet = new Wallet(key.startsWith("0x") ? key : `0x${key}`);
      const mine = new KeeperKey(key);
      expect(mine.address).to.equal(wallet.address);
      mine.warm();
      expect(await mine.signTransaction(tx)).to.equal(await wallet.signTransaction(tx));
    }
  });

  it("keeps the private key out of its JSON and its inspection, and refuses a transaction from another address", async function () {
    const key = new KeeperKey(TEST_KEYS.keeper);
    const secret = TEST_KEYS.keeper.slice(2);
    expect(JSON.stringify({ key })).to.not.include(secret);
    expect(inspect(key, { depth: 5 })).to.not.include(secret);
    const other = new Wallet(TEST_KEYS.deployer).address;
    const refused = await key.signTransaction({ ...tx, from: other }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refused?.message).to.include(other);
  });

  it("refuses what is not a private key", function () {
    for (const bad of ["0x1234", `0x${"00".repeat(32)}`, "not hex"]) expect(() => new KeeperKey(bad)).to.throw();
  });

  describe("against a real node", function () {
    this.timeout(60_000);
    let chain: TestChain;

    before(async function () {
      chain = await startTestChain([]);
    });

    after(async function () {
      await chain?.stop();
    });

    it("signs a transaction the node mines as sent from the key's address", async function () {
      const key = new KeeperKey(TEST_KEYS.keeper);
      await chain.wallet(TEST_KEYS.keeper); // funds it
      const nonce = Number(await chain.node.rpc<string>("eth_getTransactionCount", [key.address, "latest"]));
      const raw = await key.signTransaction({ ...tx, to: new Wallet(TEST_KEYS.deployer).address, data: "0x", nonce });
      const hash = await chain.node.rpc<string>("eth_sendRawTransaction", [raw]);
      expect(hash).to.equal(Transaction.from(raw).hash);
      const receipt = await chain.node.rpc<{ status: string; from: string }>("eth_getTransactionReceipt", [hash]);
      expect(receipt.status).to.equal("0x1");
      expect(receipt.from.toLowerCase()).to.equal(key.address.toLowerCase());
    });
  });
});
