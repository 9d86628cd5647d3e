import { expect } from "chai";
import { type Contract, Interface } from "ethers";

import { BlockProver, provenCall } from "@cordon/keeper/proof/index.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { TamperProxy } from "@cordon/testkit/tamper-proxy.js";
import { deploy } from "../support/deploy.js";

const reader = new Interface(["function hashBack(uint256 back) view returns (bytes32)"]);

describe("proof/header: the headers a call reads besides the trusted one are linked to it by parent hash", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let tampers: TamperProxy[];
  let target: string;
  const pools: RpcPool[] = [];
  const pool = () => {
    const p = new RpcPool({ endpoints: tampers.map((t) => ({ name: t.name, url: t.url })), graceMs: 1_000 });
    pools.push(p);
    return p;
  };
  const hashBack = (back: number) => ({ to: target, data: reader.encodeFunctionData("hashBack", [back]) });
  /** Block 1's header: a real, well-formed header, but not the parent of any block a call here reads. */
  let stranger: unknown;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    tampers = [];
    for (const proxy of chain.proxies) tampers.push(await new TamperProxy(proxy.url, proxy.name).start());
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    target = String((await deploy(deployer, "BlockHashReader", "contracts/mocks", [])).target);
    for (let i = 0; i < 8; i++) await chain.node.rpc("evm_mine", []); // hardhat_mine's reserved blocks have no hash index
    stranger = await chain.node.rpc("eth_getBlockByNumber", ["0x1", false]);
  });

  afterEach(function () {
    for (const t of tampers) t.tamper = undefined;
    for (const p of pools.splice(0)) p.close();
  });

  after(async function () {
    for (const t of tampers ?? []) await t.stop();
    await chain?.stop();
  });

  it("proves blockhash() of an ancestor: the hash of the header three parents below the trusted one", async function () {
    const prover = await BlockProver.at(pool());
    const result = await prover.call(hashBack(3));
    const tag = `0x${prover.block.number.toString(16)}`;
    const ancestor = await chain.node.rpc<{ hash: string }>("eth_getBlockByNumber", [
      `0x${(prover.block.number - 3n).toString(16)}`,
      false,
    ]);
    expect(result.returnData).to.equal(ancestor.hash);
    expect(result.returnData).to.equal(await chain.node.rpc("eth_call", [hashBack(3), tag]));
    expect(Object.values(result.endpoints).map((r) => r.verdict)).to.not.include("lied");
  });

  it("refuses a header that is not the parent asked for, names its endpoint, and proves from another", async function () {
    tampers[0]!.tamper = (method, _params, result) => (method === "eth_getBlockByHash" ? stranger : result);
    const p = pool();
    const result = await provenCall(p, hashBack(2));
    expect(result.status).to.equal("proven");
    if (result.status !== "proven") return;
    const ancestor = await chain.node.rpc<{ hash: string }>("eth_getBlockByNumber", [
      `0x${(result.block.number - 2n).toString(16)}`,
      false,
    ]);
    expect(result.returnData).to.equal(ancestor.hash);
    expect(result.endpoints.a!.verdict).to.equal("lied");
    expect(result.endpoints.a!.lies[0]).to.match(
      /^block \d+ header \(parent 0x[0-9a-f]{64} of the trusted chain\): not linked: served block/,
    );
    expect(p.isLiar("a")).to.equal(true);
  });

  it("is not proven, never a zero hash, when no endpoint serves a linked header", async function () {
    for (const t of tampers) {
      t.tamper = (method, params, result) =>
        method === "eth_getBlockByHash" ? { ...(result as object), parentHash: `0x${"ab".repeat(32)}` } : result;
    }
    const result = await provenCall(pool(), hashBack(1));
    expect(result.status).to.equal("not-proven");
    if (result.status !== "not-proven") return;
    expect(result.reason).to.match(/^no endpoint served block \d+ linked by parent hash to the trusted block \d+$/);
    for (const name of ["a", "b", "c"]) expect(result.endpoints[name]!.verdict).to.equal("lied");
  });
});
