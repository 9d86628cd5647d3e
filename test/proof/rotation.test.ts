import { expect } from "chai";
import { type Contract, Interface } from "ethers";

import { BlockProver } from "@cordon/keeper/proof/index.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";

const DIGEST = new Interface(["function stateDigest() view returns (bytes32)"]).encodeFunctionData("stateDigest");

describe("proof: an endpoint proven to lie is reported and out of rotation for the rest of the run", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let book: Contract;
  let fifty: Contract;
  let pool: RpcPool;

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const feed = await deploy(deployer, "LendingPriceFeed", "contracts/mocks", []);
    book = await deploy(deployer, "LendingBook", "contracts/mocks", [feed.target, deployer.address]); // read, never paused
    fifty = await deploy(deployer, "FiftySlots", "contracts/mocks", []);
    await send(book, "addMarket", "0x00000000000000000000000000000000000000a1");
    await send(feed, "setPrice", "0x00000000000000000000000000000000000000a1", 3n * 10n ** 18n);
    await send(book, "open", 0, 1_000n, 100n);
    pool = new RpcPool({ endpoints: chain.proxies.map((p) => ({ name: p.name, url: p.url })), graceMs: 1_000 });
  });

  after(async function () {
    pool?.close();
    await chain?.stop();
  });

  it("a liar in eth_getProof is asked for no proof once caught, nor preferred for a read, even after a refresh", async function () {
    const b = chain.proxies[1]!;
    b.fault = { kind: "lying", methods: ["eth_getProof"] };
    // Audit mode asks every endpoint in rotation for every proof, so each request b still gets is one it should not.
    const prover = await BlockProver.at(pool, { audit: true });
    const first = await prover.call({ to: String(book.target), data: DIGEST });
    expect(first.returnData).to.equal(await chain.provider.call({ to: String(book.target), data: DIGEST }));
    expect(first.endpoints.b!.verdict).to.equal("lied");
    const asked = b.count("eth_getProof");

    // A call that reads another account: a and c are asked for its proof, b is not.
    const second = await prover.call({ to: String(fifty.target), data: DIGEST });
    expect(second.returnData).to.equal(await chain.provider.call({ to: String(fifty.target), data: DIGEST }));
    expect(b.count("eth_getProof")).to.equal(asked);

    // The pool reports it, and agreeing on the next block does not bring it back.
    await pool.refresh();
    const health = pool.health().find((h) => h.name === "b")!;
    expect(health.status).to.equal("diverging");
    expect(health.reason).to.match(/^proven to lie: eth_getProof 0x[0-9a-f]{40}: invalid proof/);
    expect(pool.healthy().map((e) => e.name)).to.not.include("b");

    // A later decision's prover (as the keeper makes one per decision): b's header is still one vote (hashed, and
    // outvoted if it differs), but b is asked for no proof.
    b.fault = { kind: "none" };
    const later = await BlockProver.at(pool, { audit: true });
    expect(later.block.agreed).to.deep.equal(["a", "b", "c"]);
    await later.call({ to: String(book.target), data: DIGEST });
    expect(b.count("eth_getProof")).to.equal(asked);

    // Nor is it used for a plain read while another endpoint answers: with a down, c answers, not b.
    chain.proxies[0]!.fault = { kind: "down" };
    const [bBefore, cBefore] = [b.count("eth_chainId"), chain.proxies[2]!.count("eth_chainId")];
    await pool.request("eth_chainId");
    expect(b.count("eth_chainId")).to.equal(bBefore);
    expect(chain.proxies[2]!.count("eth_chainId")).to.equal(cBefore + 1);
    chain.proxies[0]!.fault = { kind: "none" };
  });
});
