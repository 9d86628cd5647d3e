import { expect } from "chai";
import { type Contract, Interface } from "ethers";

import { verificationJson, verifyState } from "@cordon/keeper/governance/verify.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { corrupt } from "@cordon/testkit/fault-proxy.js";
import { TamperProxy } from "@cordon/testkit/tamper-proxy.js";
import { deploy, send } from "../support/deploy.js";
import { type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";

const views = new Interface([
  "function stateDigest() view returns (bytes32)",
  "function currentDigest() view returns (bytes32)",
]);

describe("proof: verify-state proves any protected contract by verified execution", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let book: Contract;
  let tampers: TamperProxy[];
  /** What the endpoints answered for the book's and the hub's digests at the checkpoint. */
  const atCheckpoint = new Map<string, string>();

  const endpoints = (names: string[]) =>
    tampers.filter((t) => names.includes(t.name)).map((t) => ({ name: t.name, url: t.url }));
  /** The liar: answers stateDigest() and currentDigest() with the checkpoint's values, the rest honestly. */
  const replayCheckpoint = (method: string, params: unknown[], result: unknown) => {
    if (method !== "eth_call") return result;
    const { to, data } = params[0] as { to: string; data: string };
    return atCheckpoint.get(`${to.toLowerCase()}:${data}`) ?? result;
  };

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    tampers = [];
    for (const proxy of chain.proxies) tampers.push(await new TamperProxy(proxy.url, proxy.name).start());
    protocol = await deploySampleProtocol(chain);
    const deployer = await chain.wallet(TEST_KEYS.deployer);
    const feed = await deploy(deployer, "LendingPriceFeed", "contracts/mocks", []);
    book = await deploy(deployer, "LendingBook", "contracts/mocks", [feed.target, protocol.hub.target]);
    await send(book, "addMarket", "0x00000000000000000000000000000000000000a1");
    await send(feed, "setPrice", "0x00000000000000000000000000000000000000a1", 3n * 10n ** 18n);
    await send(book, "open", 0, 1_000n, 100n);
    await send(protocol.hub, "addProtected", book.target);
    await send(protocol.hub, "checkpoint", 0x0401);
    for (const [target, data] of [
      [String(book.target), views.encodeFunctionData("stateDigest")],
      [String(protocol.hub.target), views.encodeFunctionData("currentDigest")],
    ] as const) {
      atCheckpoint.set(`${target.toLowerCase()}:${data}`, await chain.provider.call({ to: target, data }));
    }
    await send(book, "open", 0, 5n, 1n); // the state moves on after the checkpoint
  });

  afterEach(function () {
    for (const t of tampers) t.tamper = undefined;
  });

  after(async function () {
    for (const t of tampers ?? []) await t.stop();
    await chain?.stop();
  });

  it("an honest set: the lending book's digest and invariant code are proven, the state differs from the checkpoint", async function () {
    const result = await verifyState({ endpoints: endpoints(["a", "b", "c"]), hub: String(protocol.hub.target) });
    expect(result.verdict).to.equal("differs");
    const entry = result.contracts.find((c) => c.address === book.target)!;
    expect(entry).to.deep.equal({
      address: book.target,
      digest: await book.getFunction("stateDigest")(),
      invariant: 0n,
      proven: true,
    });
    expect(result.liars.size).to.equal(0);
    expect(result.trust.header).to.match(/^the header of block \d+ \(0x[0-9a-f]{64}\), served by a quorum: a, b, c/);
    const json = verificationJson(result) as { verdict: string; endpoints: Record<string, { verdict: string }> };
    expect(json.verdict).to.equal("differs");
    expect(json.endpoints.a!.verdict).to.equal("honest");
    expect(JSON.parse(JSON.stringify(json))).to.deep.equal(json); // serialisable: no bigint left
  });

  it("one endpoint alone replaying the checkpoint's digests: the state still differs, and it is named", async function () {
    tampers[1]!.tamper = replayCheckpoint;
    const result = await verifyState({ endpoints: endpoints(["b"]), hub: String(protocol.hub.target) });
    expect(result.verdict).to.equal("differs");
    expect(result.matches).to.equal(false);
    expect(result.liars.get("b")!.join("\n")).to.contain(`${book.target}.stateDigest() (eth_call)`);
  });

  it("two endpoints replaying the checkpoint against one honest: the honest one is not named, both liars are", async function () {
    tampers[1]!.tamper = replayCheckpoint;
    tampers[2]!.tamper = replayCheckpoint;
    const result = await verifyState({ endpoints: endpoints(["a", "b", "c"]), hub: String(protocol.hub.target) });
    expect(result.verdict).to.equal("differs");
    expect([...result.liars.keys()].sort()).to.deep.equal(["b", "c"]);
    for (const name of ["b", "c"]) {
      expect(result.liars.get(name)!.join("\n")).to.contain("hub.currentDigest() (eth_call)");
    }
  });

  it("an endpoint lying in the lending book's storage reads (eth_getStorageAt) is named; the proven verdict stands", async function () {
    tampers[2]!.tamper = (method, params, result) =>
      method === "eth_getStorageAt" && String(params[0]).toLowerCase() === String(book.target).toLowerCase()
        ? corrupt(String(result))
        : result;
    const result = await verifyState({ endpoints: endpoints(["a", "b", "c"]), hub: String(protocol.hub.target) });
    expect(result.verdict).to.equal("differs");
    expect(result.contracts.find((c) => c.address === book.target)!.proven).to.equal(true);
    expect([...result.liars.keys()]).to.deep.equal(["c"]);
    expect(result.liars.get("c")!.join("\n")).to.contain(`${book.target} storage read by the proven calls`);
  });

  it("a lone endpoint that lies in one eth_call and serves valid proofs: the verdict is still proven, the lie named", async function () {
    const vault = String(protocol.vault.target).toLowerCase();
    const digest = views.encodeFunctionData("stateDigest");
    tampers[1]!.tamper = (method, params, result) => {
      const call = params[0] as { to?: string; data?: string } | undefined;
      return method === "eth_call" && call?.to?.toLowerCase() === vault && call.data === digest
        ? `0x${"11".repeat(32)}`
        : result;
    };
    const result = await verifyState({ endpoints: endpoints(["b"]), hub: String(protocol.hub.target) });
    expect(result.contracts.map((c) => c.proven)).to.deep.equal([true, true]);
    expect(result.verdict).to.equal("differs");
    expect(result.liars.get("b")!.join("\n")).to.contain(`${protocol.vault.target}.stateDigest() (eth_call)`);
  });
});
