import { createBlockHeader } from "@ethereumjs/block";
import { Hardfork, Mainnet, createCustomCommon } from "@ethereumjs/common";
import { bytesToHex } from "@ethereumjs/util";
import { expect } from "chai";

import { checkHeader, hardforkOf } from "@cordon/keeper/proof/index.js";
import { corrupt } from "@cordon/testkit/fault-proxy.js";

/** A Prague header as a node's eth_getBlockByNumber would serve it (with its hash). */
function pragueBlock(): Record<string, unknown> & {
  hash: string;
  number: string;
  stateRoot: string;
  timestamp: string;
} {
  const common = createCustomCommon({ chainId: 31337 }, Mainnet, { hardfork: Hardfork.Prague });
  const header = createBlockHeader(
    {
      number: 42n,
      timestamp: 1_800_000_000n,
      gasLimit: 30_000_000n,
      baseFeePerGas: 7n,
      stateRoot: new Uint8Array(32).fill(9),
    },
    { common },
  );
  const json = header.toJSON() as Record<string, string>;
  return {
    ...json,
    miner: json.coinbase!,
    sha3Uncles: json.uncleHash!,
    transactionsRoot: json.transactionsTrie!,
    receiptsRoot: json.receiptTrie!,
    logsBloom: json.logsBloom!,
    hash: bytesToHex(header.hash()),
    number: json.number!,
    stateRoot: json.stateRoot!,
    timestamp: json.timestamp!,
  };
}

describe("proof/header: the state root is bound to the block hash", function () {
  it("accepts a header whose fields hash to its hash, at the fork its fields show", function () {
    const block = pragueBlock();
    expect(hardforkOf(block)).to.equal("prague");
    const checked = checkHeader(block, 31337n, undefined);
    expect("header" in checked && bytesToHex(checked.header.stateRoot)).to.equal(block.stateRoot);
  });

  it("rejects a header that keeps the hash and changes the state root, or any other field", function () {
    const block = pragueBlock();
    for (const field of ["stateRoot", "requestsHash", "parentBeaconBlockRoot", "timestamp"]) {
      const lie = { ...block, [field]: corrupt(String(block[field])) };
      const checked = checkHeader(lie, 31337n, undefined);
      expect(checked, field)
        .to.have.property("mismatch")
        .that.matches(/^its header fields hash to 0x[0-9a-f]{64}, not to/);
    }
  });

  it("rejects a valid header that is not the pinned one, and a header without a Prague field it needs", function () {
    const block = pragueBlock();
    expect(checkHeader(block, 31337n, undefined, corrupt(block.hash)))
      .to.have.property("mismatch")
      .that.matches(/^served block/);
    const { requestsHash: _dropped, ...cancun } = block;
    expect(hardforkOf(cancun)).to.equal("cancun");
    // Without the field, the same header hashes as a Cancun one: not to the hash the Prague header has.
    expect(checkHeader(cancun, 31337n, undefined)).to.have.property("mismatch");
  });
});
