import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, Wallet } from "ethers";

import { largeTransferDetector } from "@cordon/keeper/detectors/transfers.js";
import type { Detector } from "@cordon/keeper/detectors/types.js";
import { HeadSource } from "@cordon/keeper/follower/heads.js";
import { type EndpointConfig } from "@cordon/keeper/rpc/endpoint.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { Watcher } from "@cordon/keeper/watcher/watcher.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { deploy } from "../support/deploy.js";
import type { FaultProxy } from "@cordon/testkit/fault-proxy.js";
import type { HardhatNode } from "@cordon/testkit/hardhat-node.js";

/** Resolves once `condition` holds, polling every 20 ms; fails after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("New heads by subscription, with polling as the fallback", function () {
  this.timeout(60_000);
  let chain: TestChain;
  let node: HardhatNode;
  let a: FaultProxy;
  let b: FaultProxy;
  let c: FaultProxy;
  const pools: RpcPool[] = [];

  before(async function () {
    chain = await startTestChain(["a", "b", "c"]);
    ({ node } = chain);
    [a, b, c] = chain.proxies as [FaultProxy, FaultProxy, FaultProxy];
  });

  after(async function () {
    await chain?.stop();
  });

  beforeEach(async function () {
    for (const p of [a, b, c]) {
      p.fault = { kind: "none" };
      await p.start();
    }
  });

  afterEach(function () {
    for (const pool of pools.splice(0)) pool.close();
    for (const p of [a, b, c]) p.dropSockets();
  });

  function pool(endpoints: EndpointConfig[]): RpcPool {
    const p = new RpcPool({ endpoints });
    pools.push(p);
    return p;
  }

  const ws = (p: FaultProxy): EndpointConfig => ({ name: p.name, url: p.wsUrl, timeoutMs: 1_000, maxReconnectMs: 200 });
  const http = (p: FaultProxy): EndpointConfig => ({ name: p.name, url: p.url, timeoutMs: 1_000 });

  async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
    const started = Date.now();
    const value = await promise;
    return [value, Date.now() - started];
  }

  describe("HeadSource", function () {
    it("polls at the poll interval when no endpoint is a WebSocket", async function () {
      const heads = new HeadSource({ pool: pool([http(a), http(b)]), pollIntervalMs: 300 });
      heads.start();
      try {
        expect(heads.alive()).to.deep.equal([]);
        await node.rpc("hardhat_mine", ["0x1"]);
        const [reason, ms] = await timed(heads.wait(new AbortController().signal));
        expect(reason).to.equal("poll");
        expect(ms).to.be.within(280, 2_000);
      } finally {
        heads.stop();
      }
    });

    it("wakes on a new head from any subscription long before the poll interval, once per head", async function () {
      const heads = new HeadSource({ pool: pool([ws(a), ws(b), http(c)]), pollIntervalMs: 30_000 });
      heads.start();
      try {
        await until(() => heads.alive().length === 2, "a subscription on both WebSocket endpoints");
        expect(heads.alive()).to.have.members(["a", "b"]);
        await sleep(100);
        const mined = node.rpc("hardhat_mine", ["0x1"]);
        const [reason, ms] = await timed(heads.wait(new AbortController().signal));
        await mined;
        expect(reason).to.equal("head");
        expect(ms).to.be.below(2_000);
        expect(heads.highestHead).to.equal(Number(await node.rpc<string>("eth_blockNumber")));
        // Both sockets announced the block: the second announcement must not wake the caller again.
        await sleep(200);
        expect(await heads.wait(AbortSignal.timeout(500))).to.equal("aborted");
      } finally {
        heads.stop();
      }
    });

    it("falls back to polling when every socket drops, and subscribes again when they come back", async function () {
      const logs: string[] = [];
      const heads = new HeadSource({
        pool: pool([ws(a), ws(b), http(c)]),
        pollIntervalMs: 500,
        safetyPollMs: 60_000,
        log: (event) => logs.push(event),
      });
      heads.start();
      try {
        await until(() => heads.alive().length === 2, "two subscriptions");
        for (const p of [a, b]) {
          p.fault = { kind: "down" };
          p.dropSockets();
        }
        await until(() => heads.alive().length === 0, "both subscriptions lost");
        expect(logs.filter((e) => e === "heads-lost")).to.have.length(2);
        const [reason, ms] = await timed(heads.wait(new AbortController().signal));
        expect(reason).to.equal("poll");
        expect(ms).to.be.within(450, 5_000); // the poll interval, not the 60 s safety net

        for (const p of [a, b]) p.fault = { kind: "none" };
        await until(() => heads.alive().length === 2, "both subscriptions back");
        expect(logs.filter((e) => e === "heads-subscribed")).to.have.length(4);
        const mined = node.rpc("hardhat_mine", ["0x1"]);
        const [again] = await timed(heads.wait(new AbortController().signal));
        await mined;
        expect(again).to.equal("head");
      } finally {
        heads.stop();
      }
    });

    it("stops counting a silent subscription as alive, and counts it again when a head arrives", async function () {
      const heads = new HeadSource({ pool: pool([ws(a)]), pollIntervalMs: 30_000, silenceMs: 400 });
      heads.start();
      try {
        await until(() => heads.alive().length === 1, "a subscription");
        await sleep(600);
        expect(heads.alive()).to.deep.equal([]);
        await node.rpc("hardhat_mine", ["0x1"]);
        await until(() => heads.alive().length === 1, "the subscription alive again");
        expect(await heads.wait(new AbortController().signal)).to.equal("head");
      } finally {
        heads.stop();
      }
    });
  });

  describe("Watcher.run", function () {
    let token: Contract;
    let signer: Wallet;
    let dir: string;

    before(async function () {
      signer = await chain.wallet(TEST_KEYS.deployer);
      token = await deploy(signer, "MockERC20", "contracts/mocks", ["Token", "TKN", 18]);
      await (await token.getFunction("mint")(signer.address, 1_000_000n)).wait();
    });

    beforeEach(function () {
      dir = mkdtempSync(path.join(tmpdir(), "cordon-heads-"));
    });

    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    /** Sends one transfer out of the signer (one block, automine); returns its block and transaction hash. */
    async function transfer(): Promise<{ block: number; tx: string }> {
      const nonce = Number(await node.rpc<string>("eth_getTransactionCount", [signer.address, "latest"]));
      const tx = await token.getFunction("transfer")(Wallet.createRandom().address, 1n, { nonce });
      const receipt = await tx.wait();
      return { block: Number(receipt.blockNumber), tx: String(tx.hash) };
    }

    /** A watcher over one WebSocket endpoint (a) and two HTTP ones (b, c), finding every transfer out of `signer`. */
    function watcher(options: { pollIntervalMs: number; ranges: [number, number][]; logs: string[] }) {
      const store = new Store(path.join(dir, "watcher.db"), 31337);
      const recorder: Detector = {
        name: "ranges",
        evaluate: ({ range }) => (options.ranges.push([range.from, range.to]), []),
      };
      const startBlock = 0;
      const w = new Watcher({
        pool: pool([ws(a), http(b), http(c)]),
        store,
        detectors: [
          recorder,
          largeTransferDetector({ token: String(token.target), from: signer.address, threshold: 1n, severity: "info" }),
        ],
        addresses: [String(token.target)],
        startBlock,
        pollIntervalMs: options.pollIntervalMs,
        heads: { safetyPollMs: 60_000 },
        log: (event) => options.logs.push(event),
      });
      return { store, watcher: w, startBlock };
    }

    function expectEachBlockOnce(ranges: [number, number][], from: number, to: number) {
      const seen = ranges.flatMap(([f, t]) => Array.from({ length: t - f + 1 }, (_, i) => f + i));
      expect(seen).to.deep.equal(Array.from({ length: to - from + 1 }, (_, i) => from + i));
    }

    it("wakes on a new head within a fraction of the poll interval", async function () {
      const ranges: [number, number][] = [];
      const logs: string[] = [];
      const { store, watcher: w } = watcher({ pollIntervalMs: 20_000, ranges, logs });
      const controller = new AbortController();
      const running = w.run(controller.signal);
      try {
        const head = Number(await node.rpc<string>("eth_blockNumber"));
        await until(() => logs.includes("heads-subscribed") && (store.cursor()?.number ?? -1) >= head, "caught up");
        await sleep(200); // the watcher is now waiting: only a head can wake it before 20 s
        const sent = await transfer();
        const started = Date.now();
        await until(() => (store.cursor()?.number ?? -1) >= sent.block, "the new block processed", 15_000);
        expect(Date.now() - started, "ms from the block to its processing").to.be.below(2_000);
        expect(store.findingsFrom(sent.block).map((f) => f.data.tx)).to.deep.equal([sent.tx]);
      } finally {
        controller.abort();
        await running;
        store.close();
      }
    });

    it("keeps processing every block by polling while the socket is down, resumes the subscription, none twice", async function () {
      const ranges: [number, number][] = [];
      const logs: string[] = [];
      const { store, watcher: w, startBlock } = watcher({ pollIntervalMs: 300, ranges, logs });
      const controller = new AbortController();
      const running = w.run(controller.signal);
      const sent: { block: number; tx: string }[] = [];
      const processed = (block: number) => (store.cursor()?.number ?? -1) >= block;
      try {
        await until(() => logs.includes("heads-subscribed"), "subscribed");
        for (let i = 0; i < 3; i++) sent.push(await transfer());
        await until(() => processed(sent.at(-1)!.block), "blocks processed by subscription");

        a.fault = { kind: "down" };
        a.dropSockets();
        await until(() => logs.includes("heads-lost"), "subscription lost");
        const lost = logs.length;
        for (let i = 0; i < 3; i++) sent.push(await transfer());
        await until(() => processed(sent.at(-1)!.block), "blocks processed by polling");
        expect(logs.slice(lost), "no subscription while the socket was down").to.not.include("heads-subscribed");

        a.fault = { kind: "none" };
        await until(() => logs.slice(lost).includes("heads-subscribed"), "subscribed again");
        for (let i = 0; i < 3; i++) sent.push(await transfer());
        await until(() => processed(sent.at(-1)!.block), "blocks processed after resubscribing");
      } finally {
        controller.abort();
        await running;
      }
      try {
        const head = await node.rpc<{ number: string; hash: string }>("eth_getBlockByNumber", ["latest", false]);
        expect(store.cursor()).to.include({ number: Number(head.number), hash: head.hash });
        expectEachBlockOnce(ranges, startBlock, Number(head.number));
        const mine = store.findingsFrom(sent[0]!.block);
        expect(mine.map((f) => f.data.tx)).to.deep.equal(sent.map((s) => s.tx));
      } finally {
        store.close();
      }
    });
  });
});
