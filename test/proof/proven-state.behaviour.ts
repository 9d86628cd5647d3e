/**
 * What a proven call must do against any node implementation: the suite runs once against a `hardhat node`
 * (call.hardhat.test.ts) and once against anvil (call.anvil.test.ts). Each endpoint is a TamperProxy (answers a test
 * rewrites) in front of a FaultProxy (the fixed fault modes) in front of the node.
 */
import { expect } from "chai";
import { type Contract, Interface, JsonRpcProvider, Wallet } from "ethers";

import {
  BlockProver,
  type EndpointRecord,
  type ProvenCallResult,
  compareCalls,
  provenCall,
} from "@cordon/keeper/proof/index.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { TEST_KEYS } from "@cordon/testkit/chain.js";
import { deploy, send } from "../support/deploy.js";
import { FaultProxy, corrupt } from "@cordon/testkit/fault-proxy.js";
import type { HardhatNode } from "@cordon/testkit/hardhat-node.js";
import { TamperProxy } from "@cordon/testkit/tamper-proxy.js";

const E18 = 10n ** 18n;
const ASSET_A = "0x00000000000000000000000000000000000000a1";
const ASSET_B = "0x00000000000000000000000000000000000000b2";
const book = new Interface([
  "function stateDigest() view returns (bytes32)",
  "function checkInvariants() view returns (uint256)",
  "function context() view returns (uint256, uint256, uint256, address)",
]);
const DIGEST = book.encodeFunctionData("stateDigest");
const INVARIANTS = book.encodeFunctionData("checkInvariants");

export interface ProofBed {
  node: HardhatNode;
  faults: FaultProxy[];
  tampers: TamperProxy[];
  provider: JsonRpcProvider;
  book: Contract;
  feed: Contract;
  fifty: Contract;
  pool(options?: { quorum?: number }): RpcPool;
  stop(): Promise<void>;
}

/** Funds `address` with 100 ETH (Hardhat's and anvil's method names differ). */
async function fund(node: HardhatNode, address: string): Promise<void> {
  const amount = "0x56bc75e2d63100000";
  await node.rpc("hardhat_setBalance", [address, amount]).catch(() => node.rpc("anvil_setBalance", [address, amount]));
}

async function startBed(start: () => Promise<HardhatNode>): Promise<ProofBed> {
  const node = await start();
  const faults: FaultProxy[] = [];
  const tampers: TamperProxy[] = [];
  const provider = new JsonRpcProvider(node.url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  const pools: RpcPool[] = [];
  const stop = async () => {
    for (const pool of pools) pool.close();
    for (const t of tampers) await t.stop();
    for (const f of faults) await f.stop();
    provider.destroy();
    await node.stop();
  };
  try {
    return await deployBed(node, faults, tampers, provider, pools, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function deployBed(
  node: HardhatNode,
  faults: FaultProxy[],
  tampers: TamperProxy[],
  provider: JsonRpcProvider,
  pools: RpcPool[],
  stop: () => Promise<void>,
): Promise<ProofBed> {
  for (const name of ["a", "b", "c"]) {
    const fault = await new FaultProxy(node.url, name).start();
    faults.push(fault);
    tampers.push(await new TamperProxy(fault.url, name).start());
  }
  const deployer = new Wallet(TEST_KEYS.deployer, provider);
  const borrower = new Wallet(TEST_KEYS.keeper, provider);
  await fund(node, deployer.address);
  await fund(node, borrower.address);
  const feed = await deploy(deployer, "LendingPriceFeed", "contracts/mocks", []);
  // No hub here: the book is only read, never paused.
  const lending = await deploy(deployer, "LendingBook", "contracts/mocks", [feed.target, deployer.address]);
  const fifty = await deploy(deployer, "FiftySlots", "contracts/mocks", []);
  await send(lending, "addMarket", ASSET_A);
  await send(lending, "addMarket", ASSET_B);
  await send(feed, "setPrice", ASSET_A, 2n * E18);
  await send(feed, "setPrice", ASSET_B, 5n * E18);
  await send(lending, "open", 0, 1_000n, 400n);
  await send(lending, "open", 1, 300n, 100n);
  await send(lending.connect(borrower) as Contract, "open", 0, 500n, 1_100n);
  await send(lending, "accrue", 1, 11n * 10n ** 17n);
  return {
    node,
    faults,
    tampers,
    provider,
    book: lending,
    feed,
    fifty,
    pool: (options = {}) => {
      const pool = new RpcPool({
        endpoints: tampers.map((t) => ({ name: t.name, url: t.url })),
        graceMs: 1_000,
        ...options,
      });
      pools.push(pool);
      return pool;
    },
    stop,
  };
}

const verdicts = (endpoints: Record<string, EndpointRecord>) =>
  Object.fromEntries(Object.entries(endpoints).map(([name, r]) => [name, r.verdict]));
const liars = (endpoints: Record<string, EndpointRecord>) =>
  Object.entries(endpoints)
    .filter(([, r]) => r.verdict === "lied")
    .map(([name]) => name)
    .sort();

function proven(result: Awaited<ReturnType<typeof provenCall>>): ProvenCallResult {
  if (result.status !== "proven") throw new Error(`not proven: ${result.reason}`);
  return result;
}

export function shouldProveStateOn(label: string, start: () => Promise<HardhatNode>): void {
  describe(`proof: verified eth_call against ${label}`, function () {
    this.timeout(120_000);
    let bed: ProofBed;
    const to = () => bed.book.target as string;
    const plain = (data: string, target = to()) => bed.provider.call({ to: target, data });

    before(async function () {
      bed = await startBed(start);
    });

    afterEach(function () {
      for (const t of bed.tampers) t.tamper = undefined;
      for (const f of bed.faults) f.fault = { kind: "none" };
    });

    after(async function () {
      await bed?.stop();
    });

    it("proves stateDigest() and checkInvariants() of a lending book whose digest reads nested structs and another contract", async function () {
      const pool = bed.pool();
      const prover = await BlockProver.at(pool);
      const digest = await prover.call({ to: to(), data: DIGEST });
      expect(digest.returnData).to.equal(await plain(DIGEST));
      expect(digest.reverted).to.equal(false);
      expect(digest.block.trust).to.equal("quorum");
      expect(digest.block.agreed).to.have.members(["a", "b", "c"]);
      expect(digest.block.stateRoot).to.equal(
        ((await bed.node.rpc("eth_getBlockByNumber", ["latest", false])) as { stateRoot: string }).stateRoot,
      );
      expect(digest.reads.accounts).to.include.members([to().toLowerCase(), String(bed.feed.target).toLowerCase()]);
      expect(digest.reads.slots).to.be.greaterThan(10);
      // Hardhat serves no eth_createAccessList: the reads are discovered by running; anvil's hint closes them at once.
      expect(digest.rounds).to.be.within(1, 8);

      const invariants = await prover.call({ to: to(), data: INVARIANTS });
      expect(invariants.returnData).to.equal(await plain(INVARIANTS));
      expect(BigInt(invariants.returnData)).to.equal(2n); // the second borrower is undercollateralised
      const context = await prover.call({ to: to(), data: book.encodeFunctionData("context") });
      expect(context.returnData).to.equal(await plain(book.encodeFunctionData("context")));
      expect(verdicts(context.endpoints)).to.deep.equal({ a: "honest", b: "honest", c: "honest" });

      const calls = await compareCalls(pool.endpoints, { to: to(), data: DIGEST }, digest, prover.ledger);
      expect(calls).to.deep.equal({ a: { status: "agrees" }, b: { status: "agrees" }, c: { status: "agrees" } });
    });

    it("proves the digest over 50 slots in at most two runs of the EVM", async function () {
      const data = book.encodeFunctionData("stateDigest");
      const result = proven(await provenCall(bed.pool(), { to: bed.fifty.target as string, data }));
      expect(result.returnData).to.equal(await plain(data, bed.fifty.target as string));
      expect(result.reads.slots).to.equal(50);
      expect(result.rounds).to.be.within(1, 2);
    });

    it("names the endpoint that answers eth_call with yesterday's digest, and proves today's", async function () {
      const yesterday = await plain(DIGEST);
      await send(bed.book, "open", 1, 10n, 1n);
      const today = await plain(DIGEST);
      expect(today).to.not.equal(yesterday);
      bed.tampers[1]!.tamper = (method, params, result) =>
        method === "eth_call" && (params[0] as { data: string }).data === DIGEST ? yesterday : result;

      const pool = bed.pool();
      const prover = await BlockProver.at(pool, { audit: true });
      const result = await prover.call({ to: to(), data: DIGEST });
      expect(result.returnData).to.equal(today);
      const calls = await compareCalls(
        pool.endpoints,
        { to: to(), data: DIGEST },
        result,
        prover.ledger,
        "stateDigest()",
      );
      expect(calls.b).to.deep.equal({ status: "differs", answer: `return ${yesterday}` });
      expect(liars(prover.ledger.report())).to.deep.equal(["b"]);
      expect(prover.ledger.liars().get("b")![0]).to.match(/^stateDigest\(\) \(eth_call\): answered return 0x/);
    });

    it("names an endpoint whose storage proofs do not verify, or whose claimed values differ from its proof", async function () {
      bed.faults[0]!.fault = { kind: "lying", methods: ["eth_getProof", "eth_getStorageAt"] };
      bed.tampers[2]!.tamper = (method, _params, result) => {
        if (method !== "eth_getProof") return result;
        const proof = result as { storageProof: { value: string }[] };
        return { ...proof, storageProof: proof.storageProof.map((p) => ({ ...p, value: "0x2a" })) };
      };
      const result = proven(await provenCall(bed.pool(), { to: to(), data: DIGEST }, { audit: true }));
      expect(result.returnData).to.equal(await plain(DIGEST));
      expect(liars(result.endpoints)).to.deep.equal(["a", "c"]);
      expect(result.endpoints.a!.lies[0]).to.match(/^eth_getProof 0x[0-9a-f]{40}: invalid proof: /);
      expect(result.endpoints.c!.lies.join("\n")).to.match(/claims slot 0x[0-9a-f]+ = 0x2a, its proof shows/);
      expect(result.endpoints.b!.verdict).to.equal("honest");
    });

    it("asks the next endpoint when the first one's proof fails, without audit", async function () {
      bed.faults[0]!.fault = { kind: "lying", methods: ["eth_getProof"] };
      const result = proven(await provenCall(bed.pool(), { to: to(), data: DIGEST }));
      expect(result.returnData).to.equal(await plain(DIGEST));
      expect(result.endpoints.a!.verdict).to.equal("lied");
      expect(result.endpoints.b!.verdict).to.equal("honest");
      // Once caught, the liar is asked last: at most one lie per account read, not one per request.
      expect(result.endpoints.a!.lies.length).to.be.within(1, result.reads.accounts.length);
      expect(result.endpoints.a!.lies.every((l) => l.includes("invalid proof"))).to.equal(true);
    });

    it("names an endpoint whose account proof or account fields are false", async function () {
      bed.tampers[0]!.tamper = (method, _params, result) => {
        if (method !== "eth_getProof") return result;
        const proof = result as { accountProof: string[] };
        const nodes = [...proof.accountProof];
        nodes[nodes.length - 1] = corrupt(nodes[nodes.length - 1]!);
        return { ...proof, accountProof: nodes };
      };
      bed.tampers[1]!.tamper = (method, _params, result) =>
        method === "eth_getProof" ? { ...(result as object), balance: "0xde0b6b3a7640000" } : result;
      const result = proven(await provenCall(bed.pool(), { to: to(), data: DIGEST }, { audit: true }));
      expect(result.returnData).to.equal(await plain(DIGEST));
      expect(liars(result.endpoints)).to.deep.equal(["a", "b"]);
      expect(result.endpoints.a!.lies[0]).to.contain("invalid proof: the proof's nodes do not lead from the root");
      expect(result.endpoints.b!.lies[0]).to.contain("claims balance 0xde0b6b3a7640000, its proof shows");
    });

    it("names an endpoint that serves other code for the contract, or claims another code hash", async function () {
      const otherCode = await bed.provider.getCode(bed.fifty.target as string);
      bed.tampers[0]!.tamper = (method, params, result) =>
        method === "eth_getCode" && String(params[0]).toLowerCase() === to().toLowerCase() ? otherCode : result;
      bed.tampers[2]!.tamper = (method, _params, result) =>
        method === "eth_getProof"
          ? { ...(result as object), codeHash: corrupt((result as { codeHash: string }).codeHash) }
          : result;
      const result = proven(await provenCall(bed.pool(), { to: to(), data: DIGEST }, { audit: true }));
      expect(result.returnData).to.equal(await plain(DIGEST));
      expect(liars(result.endpoints)).to.deep.equal(["a", "c"]);
      expect(result.endpoints.a!.lies[0]).to.match(
        /^eth_getCode 0x[0-9a-f]{40}: the code does not hash to the proven code hash/,
      );
      expect(result.endpoints.c!.lies[0]).to.contain("claims codeHash");
    });

    it("names an endpoint that keeps a block's hash and changes its state root; the quorum's header is used", async function () {
      bed.tampers[2]!.tamper = (method, _params, result) =>
        method === "eth_getBlockByNumber"
          ? { ...(result as object), stateRoot: corrupt((result as { stateRoot: string }).stateRoot) }
          : result;
      const result = proven(await provenCall(bed.pool(), { to: to(), data: DIGEST }, { audit: true }));
      expect(result.returnData).to.equal(await plain(DIGEST));
      expect(result.block.agreed).to.deep.equal(["a", "b"]);
      expect(result.endpoints.c!.lies[0]).to.match(
        /^block \d+ header: its header fields hash to 0x[0-9a-f]{64}, not to the hash it claims/,
      );
    });

    it("one honest prover against a majority of liars: the proven digest, both liars named, the honest one not", async function () {
      const yesterday = "0x" + "ab".repeat(32);
      for (const i of [0, 1]) {
        bed.faults[i]!.fault = { kind: "lying", methods: ["eth_getProof", "eth_getStorageAt"] };
        bed.tampers[i]!.tamper = (method, params, result) =>
          method === "eth_call" && (params[0] as { data: string }).data === DIGEST ? yesterday : result;
      }
      const pool = bed.pool();
      const prover = await BlockProver.at(pool, { audit: true });
      const result = await prover.call({ to: to(), data: DIGEST });
      expect(result.returnData).to.equal(await plain(DIGEST));
      await compareCalls(pool.endpoints, { to: to(), data: DIGEST }, result, prover.ledger, "stateDigest()");
      const report = prover.ledger.report();
      expect(liars(report)).to.deep.equal(["a", "b"]);
      expect(report.c!.verdict).to.equal("honest");
      for (const name of ["a", "b"]) {
        expect(report[name]!.lies.some((l) => l.includes("invalid proof"))).to.equal(true);
        expect(report[name]!.lies.some((l) => l.startsWith("stateDigest() (eth_call)"))).to.equal(true);
      }
    });

    it("is not proven, never a value, when no endpoint serves a valid proof", async function () {
      for (const f of bed.faults) f.fault = { kind: "lying", methods: ["eth_getProof"] };
      const result = await provenCall(bed.pool(), { to: to(), data: DIGEST }, { audit: true });
      expect(result.status).to.equal("not-proven");
      expect(result).to.not.have.property("returnData");
      if (result.status !== "not-proven") return;
      expect(result.reason).to.match(/^no endpoint served a valid proof of 0x[0-9a-f]{40} at block \d+$/);
      expect(liars(result.endpoints)).to.deep.equal(["a", "b", "c"]);
    });

    it("is not proven when no quorum serves a valid header, and proven at a pinned block hash all the same", async function () {
      const before = (await bed.node.rpc("eth_getBlockByNumber", ["latest", false])) as {
        hash: string;
        number: string;
      };
      const old = await bed.provider.call({ to: to(), data: DIGEST, blockTag: Number(before.number) });
      await send(bed.book, "open", 0, 7n, 1n);
      for (const i of [0, 1]) {
        bed.tampers[i]!.tamper = (method, _params, result) =>
          method.startsWith("eth_getBlockBy") && result !== null
            ? { ...(result as object), stateRoot: corrupt((result as { stateRoot: string }).stateRoot) }
            : result;
      }
      const unpinned = await provenCall(bed.pool(), { to: to(), data: DIGEST });
      expect(unpinned.status).to.equal("not-proven");
      if (unpinned.status === "not-proven")
        expect(unpinned.reason).to.match(/^no 2 endpoints serve the same valid header/);

      const pinned = proven(await provenCall(bed.pool(), { to: to(), data: DIGEST }, { blockHash: before.hash }));
      expect(pinned.block).to.include({ hash: before.hash, trust: "pinned" });
      expect(pinned.block.agreed).to.deep.equal(["c"]);
      expect(pinned.returnData).to.equal(old);
      expect(liars(pinned.endpoints)).to.deep.equal(["a", "b"]);
    });
  });
}
