/**
 * The timed half of `npm run bench:watcher`, run by scripts/bench/watcher.ts in a process of its own so that the
 * memory measured is the watcher's and nothing else's: catches up from block 0 to the node's head through the
 * library's pipeline (RpcPool, Store on a `node:sqlite` file, Watcher and its Follower, a large-transfer and an
 * outflow-volume detector for every protocol contract), sampling its own RSS, and prints the figures as one JSON line.
 */
import { outflowVolumeDetector, largeTransferDetector } from "@cordon/keeper/detectors/transfers.js";
import type { Detector } from "@cordon/keeper/detectors/types.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { Watcher } from "@cordon/keeper/watcher/watcher.js";

/** What the parent passes (as JSON, the only argument). */
export interface CatchUpConfig {
  url: string;
  storePath: string;
  /** Each token and the protocol contract its transfers leave from. */
  contracts: { token: string; protocol: string }[];
  largeThreshold: string;
  volumeThreshold: string;
  volumeWindowBlocks: number;
}

/** What the child prints. */
export interface CatchUpResult {
  blocks: number;
  logs: number;
  seconds: number;
  peakRssMb: number;
  rssBeforeMb: number;
  findings: number;
  ticks: number;
  ranges: number;
}

const config = JSON.parse(process.argv[2] ?? "") as CatchUpConfig;

let peakRss = process.memoryUsage.rss();
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};
const rssBefore = peakRss;

let logs = 0;
let ranges = 0;
/** Counts what the detectors are given, and samples memory while a range's logs are held. */
const counter: Detector = {
  name: "bench-counter",
  evaluate({ range }) {
    logs += range.logs.length;
    ranges += 1;
    sample();
    return [];
  },
};

// Three endpoints, as a keeper configures them (all on the one local node here): quorum reads stay in the path.
const pool = new RpcPool({
  endpoints: ["a", "b", "c"].map((name) => ({ name, url: config.url, timeoutMs: 30_000 })),
});
const store = new Store(config.storePath, 31337);
const watcher = new Watcher({
  pool,
  store,
  detectors: [
    counter,
    ...config.contracts.flatMap(({ token, protocol }, i) => [
      largeTransferDetector({ name: `large-${i}`, token, from: protocol, threshold: BigInt(config.largeThreshold) }),
      outflowVolumeDetector({
        name: `volume-${i}`,
        token,
        from: protocol,
        windowBlocks: config.volumeWindowBlocks,
        threshold: BigInt(config.volumeThreshold),
      }),
    ]),
  ],
  addresses: config.contracts.map((c) => c.token),
  startBlock: 0,
});

const target = Number(await pool.request<string>("eth_blockNumber"));
const sampler = setInterval(sample, 10);
const started = performance.now();
let findings = 0;
let ticks = 0;
while ((store.cursor()?.number ?? -1) < target) {
  findings += (await watcher.tick()).findings.length;
  ticks += 1;
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
sample();
store.close();

const result: CatchUpResult = {
  blocks: target + 1,
  logs,
  seconds,
  peakRssMb: peakRss / 2 ** 20,
  rssBeforeMb: rssBefore / 2 ** 20,
  findings,
  ticks,
  ranges,
};
console.log(JSON.stringify(result));
