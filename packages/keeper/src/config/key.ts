/**
 * The keeper's signing key: a private key that signs transactions and nothing else. It is ethers' `SigningKey` and
 * `Transaction` only, not a `Wallet`: a `Wallet` loads ethers' providers, JSON keystores and HD wallets, which a
 * restarted keeper would otherwise compile before it can send its first pause. The private key is held in a private
 * field, so it is never part of a log line or a JSON dump of the secrets.
 *
 * The address is derived with Node's OpenSSL (no table of curve points to build); the JavaScript signer builds its
 * table (~60 ms) on the first signature, or earlier through {@link KeeperKey.warm}, which the keeper calls while its
 * first requests are in flight.
 */
import { createECDH } from "node:crypto";

import { getAddress } from "ethers/address";
import { keccak256, SigningKey } from "ethers/crypto";
import { Transaction, type TransactionLike } from "ethers/transaction";

/** What the responder signs with: an address, and signed raw transactions from it. */
export interface TransactionSigner {
  readonly address: string;
  signTransaction(tx: TransactionLike<string>): Promise<string>;
}

export class KeeperKey implements TransactionSigner {
  readonly address: string;
  readonly #key: SigningKey;

  /** `privateKey`: 32 bytes in hex, with or without `0x`; throws on anything else. */
  constructor(privateKey: string) {
    const hex = privateKey.startsWith("0x") ? privateKey : `0x${privateKey}`;
    this.#key = new SigningKey(hex);
    const ecdh = createECDH("secp256k1");
    ecdh.setPrivateKey(Buffer.from(hex.slice(2), "hex"));
    const publicKey = ecdh.getPublicKey(); // 0x04 || x || y
    this.address = getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
  }

  /** Builds the signer's table of curve points now rather than at the first signature. */
  warm(): void {
    void this.#key.publicKey;
  }

  /** Signs `tx` (a complete transaction: nonce, fees, gas, chain id) and returns it serialized. */
  async signTransaction(tx: TransactionLike<string>): Promise<string> {
    if (tx.from !== undefined && tx.from !== null && tx.from.toLowerCase() !== this.address.toLowerCase()) {
      throw new Error(`the transaction is from ${tx.from}, not from the keeper key ${this.address}`);
    }
    const unsigned = Transaction.from({ ...tx, from: undefined });
    unsigned.signature = this.#key.sign(unsigned.unsignedHash);
    return unsigned.serialized;
  }

  toJSON(): { address: string } {
    return { address: this.address };
  }
}
