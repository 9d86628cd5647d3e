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
import { type FaultProxy, ServerFrames } from "@cordon/testkit/fault-proxy.js";
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

    it("under the silent-subscription fault: requests answered, notifications swallowed (each subscription's after afterMs)", async function () {
      const p = pool([ws(a)]);
      const endpoint = p.endpoints[0]!;
      const heads = new HeadSource({ pool: p, pollIntervalMs: 30_000 });
      heads.start();
      try {
        await until(() => heads.alive().length === 1, "a subscription");
        await node.rpc("hardhat_mine", ["0x1"]);
        expect(await heads.wait(new AbortController().signal)).to.equal("head");
        const firstHeadAt = Date.now();

        a.fault = { kind: "silent-subscription" };
        const swallowed = a.swallowedNotifications;
        await node.rpc("hardhat_mine", ["0x1"]);
        expect(await heads.wait(AbortSignal.timeout(800)), "no head through the silenced socket").to.equal("aborted");
        expect(a.swallowedNotifications).to.equal(swallowed + 1);
        expect(await endpoint.request<string>("eth_blockNumber")).to.equal(await node.rpc<string>("eth_blockNumber"));

        // With afterMs, a subscription older than that is silent, and a new one is delivered until it is that old.
        await sleep(firstHeadAt + 1_600 - Date.now());
        a.fault = { kind: "silent-subscription", afterMs: 1_500 };
        const fresh = await endpoint.request<string>("eth_subscribe", ["newHeads"]);
        const delivered: string[] = [];
        endpoint.socket!.on("notification", (id) => delivered.push(id));
        await node.rpc("hardhat_mine", ["0x1"]);
        await until(() => delivered.includes(fresh), "the new subscription's first head");
        await sleep(200);
        expect(delivered, "only the new subscription's head").to.deep.equal([fresh]);
        await sleep(1_600);
        await node.rpc("hardhat_mine", ["0x1"]);
        await sleep(300);
        expect(delivered, "nothing once it is older than afterMs").to.deep.equal([fresh]);
      } finally {
        heads.stop();
      }
    });

    it("splits the node's side of a WebSocket into whole frames, however the chunks fall", function () {
      const frame = (text: string, opcode = 0x1, fin = true) => {
        const payload = Buffer.from(text, "utf8");
        const first = (fin ? 0x80 : 0) | opcode;
        if (payload.length < 126) return Buffer.concat([Buffer.from([first, payload.length]), payload]);
        const header = Buffer.from([first, 126, 0, 0]);
        header.writeUInt16BE(payload.length, 2);
        return Buffer.concat([header, payload]);
      };
      const upgrade = Buffer.from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
      const long = JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: { result: "x".repeat(300) } });
      const frames = [frame('{"id":1}'), frame(long), frame("", 0x9), frame('{"a":', 0x1, false), frame("1}", 0x0)];
      const stream = Buffer.concat([upgrade, ...frames]);
      for (const size of [1, 3, 7, 64, stream.length]) {
        const splitter = new ServerFrames();
        const units: { bytes: Buffer; text?: string }[] = [];
        for (let i = 0; i < stream.length; i += size) units.push(...splitter.push(stream.subarray(i, i + size)));
        expect(Buffer.concat(units.map((u) => u.bytes)).equals(stream), `the same bytes, chunks of ${size}`).to.equal(
          true,
        );
        expect(units.map((u) => u.text)).to.deep.equal([undefined, '{"id":1}', long, undefined, '{"a":1}']);
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

    /**
     * A watcher over one WebSocket endpoint (a) and two HTTP ones (b, c), finding every transfer out of `signer`.
     * `events` gets every log line with its fields and time; `processedAt` when each block's range was evaluated.
     */
    function watcher(options: {
      pollIntervalMs: number;
      ranges: [number, number][];
      logs: string[];
      events?: ({ event: string; at: number } & Record<string, unknown>)[];
      processedAt?: Map<number, number>;
    }) {
      const store = new Store(path.join(dir, "watcher.db"), 31337);
      const recorder: Detector = {
        name: "ranges",
        evaluate: ({ range }) => {
          options.ranges.push([range.from, range.to]);
          for (let n = range.from; n <= range.to; n++) options.processedAt?.set(n, Date.now());
          return [];
        },
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
        log: (event, fields) => {
          options.logs.push(event);
          options.events?.push({ ...fields, event, at: Date.now() });
        },
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

    /**
     * Mines a block every `intervalMs` until stopped, recording when each was mined. Returns the record and the stop
     * function (which waits for the block being mined).
     */
    function mineEvery(intervalMs: number) {
      const minedAt = new Map<number, number>();
      let stopped = false;
      const running = (async () => {
        while (!stopped) {
          await node.rpc("hardhat_mine", ["0x1"]);
          minedAt.set(Number(await node.rpc<string>("eth_blockNumber")), Date.now());
          await sleep(intervalMs);
        }
      })();
      return {
        minedAt,
        stop: async () => {
          stopped = true;
          await running;
        },
      };
    }

    const BLOCK_MS = 1_000;

    it("finds a silent subscription within a block interval of the agreed head passing it, replaces it, and polls meanwhile", async function () {
      const ranges: [number, number][] = [];
      const logs: string[] = [];
      const events: ({ event: string; at: number } & Record<string, unknown>)[] = [];
      const processedAt = new Map<number, number>();
      const { store, watcher: w } = watcher({ pollIntervalMs: 100, ranges, logs, events, processedAt });
      const controller = new AbortController();
      const running = w.run(controller.signal);
      const miner = mineEvery(BLOCK_MS);
      try {
        await until(() => logs.includes("heads-subscribed"), "subscribed");
        await sleep(6 * BLOCK_MS); // the head source learns the block interval
        // Each subscription goes silent 2.5 blocks after its first head, as a hardhat node's does after 300 s: the
        // one made at the start at once, each replacement two or three blocks after it is made.
        a.fault = { kind: "silent-subscription", afterMs: 2.5 * BLOCK_MS };
        const silencedAt = Date.now();
        const silencedHead = Number(await node.rpc<string>("eth_blockNumber"));
        await until(() => logs.filter((e) => e === "heads-resumed").length >= 2, "two replacements delivering", 20_000);
        await miner.stop();
        const last = Number(await node.rpc<string>("eth_blockNumber"));
        await until(() => processedAt.has(last), "the last block processed");

        const silent = events.filter((e) => e.event === "heads-silent");
        expect(silent.length, "each silent subscription found").to.be.at.least(2);
        const first = silent[0]!;
        expect(first).to.include({ endpoint: "a", replacement: "resubscribe" });
        expect(Number(first.lastHead)).to.be.within(silencedHead - 1, silencedHead);
        expect(Number(first.agreedHead)).to.be.above(Number(first.lastHead));
        expect(Number(first.blockIntervalMs)).to.be.within(0.8 * BLOCK_MS, 1.5 * BLOCK_MS);
        // Found within about one block interval of the agreed head passing it (and so within about two of going
        // silent), for the first subscription and each replacement.
        for (const found of silent) expect(Number(found.behindMs)).to.be.at.most(1.5 * BLOCK_MS);
        expect(first.at - silencedAt, "ms from silence to detection").to.be.below(3 * BLOCK_MS);
        const resumed = events.find((e) => e.event === "heads-resumed" && e.at > first.at)!;
        expect(resumed.at - first.at, "ms from detection to a replacement delivering").to.be.below(2 * BLOCK_MS);

        // Polling covered the gap: every block processed within a block interval of being mined.
        const late = [...miner.minedAt]
          .filter(([n]) => n > silencedHead)
          .map(([n, at]) => [n, processedAt.get(n)! - at] as const);
        expect(late.length).to.be.at.least(5);
        for (const [n, ms] of late) expect(ms, `ms from block ${n} to its processing`).to.be.below(BLOCK_MS);
        expectEachBlockOnce(ranges, 0, last);
      } finally {
        await miner.stop();
        controller.abort();
        await running;
        store.close();
      }
    });

    it("reconnects when the replacement is silent too, and keeps every block within a block interval by polling", async function () {
      const ranges: [number, number][] = [];
      const logs: string[] = [];
      const events: ({ event: string; at: number } & Record<string, unknown>)[] = [];
      const processedAt = new Map<number, number>();
      const { store, watcher: w } = watcher({ pollIntervalMs: 100, ranges, logs, events, processedAt });
      const controller = new AbortController();
      const running = w.run(controller.signal);
      const miner = mineEvery(BLOCK_MS);
      try {
        await until(() => logs.includes("heads-subscribed"), "subscribed");
        await sleep(6 * BLOCK_MS);
        const connections = a.wsConnections;
        a.fault = { kind: "silent-subscription" }; // every subscription, on every connection
        const silencedHead = Number(await node.rpc<string>("eth_blockNumber"));
        await until(() => events.filter((e) => e.event === "heads-silent").length >= 3, "three replacements", 20_000);
        const silent = events.filter((e) => e.event === "heads-silent");
        expect(silent.map((e) => e.replacement)).to.deep.equal(["resubscribe", "reconnect", "reconnect"]);
        // An endpoint that stays silent is retried less often: the third wait is about twice the second.
        expect(Number(silent[2]!.behindMs)).to.be.above(1.5 * Number(silent[1]!.behindMs));

        a.fault = { kind: "none" };
        await until(() => logs.includes("heads-resumed"), "the subscription delivering again", 20_000);
        expect(a.wsConnections, "a fresh connection for each reconnection").to.be.at.least(connections + 2);
        await miner.stop();
        const last = Number(await node.rpc<string>("eth_blockNumber"));
        await until(() => processedAt.has(last), "the last block processed");
        const late = [...miner.minedAt]
          .filter(([n]) => n > silencedHead)
          .map(([n, at]) => [n, processedAt.get(n)! - at] as const);
        for (const [n, ms] of late) expect(ms, `ms from block ${n} to its processing`).to.be.below(BLOCK_MS);
        expectEachBlockOnce(ranges, 0, last);
      } finally {
        await miner.stop();
        controller.abort();
        await running;
        store.close();
      }
    });
  });
});
