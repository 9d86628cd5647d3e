import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import type { Contract } from "ethers";

import type { Figures, LaneFigures } from "@cordon/keeper/report/figures.js";
import { buildReport, type Report, writeReport } from "@cordon/keeper/report/report.js";
import { renderTable } from "@cordon/keeper/report/render/table.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { END, HOUR, PAUSE_KEY, T1, T2, T3, T4, buildSampleHistory } from "../support/report-history.js";

describe("Downtime report: a history of five incidents rebuilt from the hub's events and the watcher's store", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let dir: string;
  let store: Store;
  let pool: RpcPool;
  let hub: Contract;
  let t0: number;
  let anomalyBlock: number;
  let lastBlock: number;
  let detected: number;
  let pauseTx: string;

  before(async function () {
    chain = await startTestChain([]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-report-"));
    ({ hub, t0, anomalyBlock, lastBlock, store, detected, pauseTx } = await buildSampleHistory(chain, dir));
    pool = new RpcPool({ endpoints: [{ name: "node", url: chain.node.url }] });
  });

  after(async function () {
    store?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lane = (figures: Figures, name: string): LaneFigures => figures.lanes.find((l) => l.lane === name)!;
  const uptime = (period: number, down: number) => (100 * (period - down)) / period;

  describe("over the whole history (a block range)", function () {
    let report: Report;
    before(async function () {
      report = await buildReport({
        pool,
        hub: String(hub.target),
        fromBlock: anomalyBlock,
        toBlock: lastBlock,
        store,
        revenue: { feesPerHour: 100 },
        scopeNames: { 0: "deposit", 1: "withdraw", 2: "liquidate" },
      });
    });

    it("finds five incidents with their causes, scopes and triggers", function () {
      const incidents = report.figures.incidents;
      expect(incidents.map((i) => [i.id, i.cause, i.planned, i.trigger])).to.deep.equal([
        [1, "security", false, "pause"],
        [2, "network", false, "pause"],
        [3, "congestion", false, "pause"],
        [4, "maintenance", true, "pause"],
        [5, "security", false, "invariant-trip"],
      ]);
      expect(incidents.map((i) => [i.protocolWide, i.scopes])).to.deep.equal([
        [true, []],
        [false, [1]],
        [false, [0]],
        [true, []],
        [true, []],
      ]);
      expect(incidents[4]!.shutdown).to.equal(false);
      expect(incidents[4]!.detection?.source).to.equal("on-chain");
    });

    it("dates each step of each incident", function () {
      const [i1, i2, i3, i4, i5] = report.figures.incidents;
      expect(i1!.anomalyAt).to.deep.equal({ time: t0, block: anomalyBlock });
      expect(i1!.detectedAt?.time).to.equal(detected);
      expect(i1!.detection).to.deep.include({
        source: "watcher",
        detector: "large-transfer",
        actionKey: PAUSE_KEY,
      });
      expect(i1!.pausedAt.time).to.equal(t0 + 20);
      expect(i1!.pauseTx).to.equal(pauseTx);
      expect(i1!.recoveryAt?.time).to.equal(t0 + 620);
      expect(i1!.resumedAt?.time).to.equal(t0 + 1820);
      expect(i1!.restoredAt?.time, "liquidations reopen after the grace period").to.equal(t0 + 2420);
      expect(i2!.anomalyAt).to.equal(undefined);
      expect(i2!.resumedAt?.time).to.equal(t0 + T1 + HOUR);
      expect(i2!.restoredAt).to.deep.equal({ time: t0 + T1 + HOUR }, "the guardian pause ends at its expiry");
      expect(i2!.closedAt?.time, "the hub records it closed when incident 3's pause settles it").to.equal(t0 + T2);
      expect(i3!.restoredAt?.time).to.equal(t0 + T2 + 1800);
      expect(i4!.restoredAt?.time).to.equal(t0 + T3 + 7200);
      expect(i5!.detectedAt?.time).to.equal(t0 + T4);
      expect(i5!.restoredAt).to.equal(undefined);
    });

    it("computes every figure as by hand", function () {
      const f = report.figures;
      expect(f.period.start.time).to.equal(t0);
      expect(f.period.end.time).to.equal(t0 + END);
      expect(f.period.seconds).to.equal(END);

      // Any part down: 2,400 + 3,600 + 1,800 + 7,200 (planned) + 900 (still down).
      const p = f.protocol;
      expect(p.downtimeSeconds).to.equal(15_900);
      expect(p.plannedSeconds).to.equal(7_200);
      expect(p.unplannedSeconds).to.equal(8_700);
      expect(p.uptimePercent).to.equal(uptime(END, 15_900));
      expect(p.unplannedUptimePercent).to.equal(uptime(END, 8_700));
      expect(p.fullOutageSeconds, "1,800 + 7,200 + 900").to.equal(9_900);
      expect([p.incidents, p.unplannedIncidents, p.plannedIncidents]).to.deep.equal([5, 4, 1]);
      expect(p.byCause).to.deep.equal({
        security: { incidents: 2, downtimeSeconds: 2_400 + 900 },
        network: { incidents: 1, downtimeSeconds: 3_600 },
        congestion: { incidents: 1, downtimeSeconds: 1_800 },
        maintenance: { incidents: 1, downtimeSeconds: 7_200 },
        other: { incidents: 0, downtimeSeconds: 0 },
      });
      const ttd = detected - t0;
      const ttp1 = t0 + 20 - detected;
      expect(p.timeToDetect).to.deep.equal({ count: 1, mean: ttd, worst: ttd });
      expect(p.timeToPause).to.deep.equal({ count: 2, mean: (ttp1 + 0) / 2, worst: Math.max(ttp1, 0) });
      expect(p.timeToRecover, "incidents 1-3; 5 is still down").to.deep.equal({
        count: 3,
        mean: (2_400 + 3_600 + 1_800) / 3,
        worst: 3_600,
      });
      expect(p.revenueLost).to.deep.equal({
        perHour: 100,
        unplanned: (100 * 8_700) / 3600,
        planned: (100 * 7_200) / 3600,
        total: (100 * 15_900) / 3600,
      });
      expect(p.windows.map((w) => [w.start.time - t0, w.end.time - t0, w.cause, w.ongoing])).to.deep.equal([
        [20, 2420, "security", false],
        [T1, T1 + HOUR, "network", false],
        [T2, T2 + 1800, "congestion", false],
        [T3, T3 + 7200, "maintenance", false],
        [T4, END, "security", true],
      ]);
    });

    it("computes each lane's figures as by hand", function () {
      const f = report.figures;
      expect(f.lanes.map((l) => l.lane)).to.deep.equal(["protocol", "scope:0", "scope:1", "scope:2"]);
      const expected: Record<string, { down: number; windows: number[][]; recover: number[] }> = {
        protocol: {
          down: 9_900,
          windows: [
            [20, 1820],
            [T3, T3 + 7200],
            [T4, END],
          ],
          recover: [1800],
        },
        "scope:0": {
          down: 11_700,
          windows: [
            [20, 1820],
            [T2, T2 + 1800],
            [T3, T3 + 7200],
            [T4, END],
          ],
          recover: [1800, 1800],
        },
        "scope:1": {
          down: 13_500,
          windows: [
            [20, 1820],
            [T1, T1 + HOUR],
            [T3, T3 + 7200],
            [T4, END],
          ],
          recover: [1800, 3600],
        },
        "scope:2": {
          down: 10_500,
          windows: [
            [20, 2420],
            [T3, T3 + 7200],
            [T4, END],
          ],
          recover: [2400],
        },
      };
      for (const [name, e] of Object.entries(expected)) {
        const l = lane(f, name);
        expect(
          l.windows.map((w) => [w.start.time - t0, w.end.time - t0]),
          name,
        ).to.deep.equal(e.windows);
        expect(l.downtimeSeconds, name).to.equal(e.down);
        expect(l.plannedSeconds, name).to.equal(7_200);
        expect(l.uptimePercent, name).to.equal(uptime(END, e.down));
        expect(l.unplannedUptimePercent, name).to.equal(uptime(END, e.down - 7_200));
        const mean = e.recover.reduce((a, b) => a + b, 0) / e.recover.length;
        expect(l.timeToRecover, name).to.deep.equal({ count: e.recover.length, mean, worst: Math.max(...e.recover) });
      }
      // Scope 1 was hit by incidents 1, 2 and 5: detection is known for 1 (watcher) and 5 (on-chain trip).
      expect(lane(f, "scope:1").timeToPause.count).to.equal(2);
      expect(lane(f, "scope:1").timeToDetect.count).to.equal(1);
    });

    it("writes JSON, Markdown and an SVG timeline, and prints a table", function () {
      const files = writeReport(report, path.join(dir, "out"));
      const json = JSON.parse(readFileSync(files.json, "utf8")) as Figures;
      expect(json.protocol.downtimeSeconds).to.equal(15_900);
      expect(json.incidents).to.have.length(5);
      const md = readFileSync(files.markdown, "utf8");
      expect(md).to.include("![timeline](report.svg)").and.include("| scope 1 (withdraw) |");
      const svg = readFileSync(files.svg, "utf8");
      expect(svg.match(/fill="#d62728"><title>/g), "security windows on five lanes, twice").to.have.length(10);
      expect(svg.match(/<title>paused /g), "a pause mark per incident on each lane it starts").to.not.equal(null);
      const table = renderTable(report);
      expect(table).to.include("any part").and.include("73.892%");
    });
  });

  it("clips to a time range: from T1 + 30 min to T3 + 1 h", async function () {
    const from = t0 + T1 + 1800;
    const to = t0 + T3 + HOUR;
    const report = await buildReport({
      pool,
      hub: String(hub.target),
      from,
      to,
      revenue: { feeRateBps: 30, volumePerHour: 10_000 },
    });
    const p = report.figures.protocol;
    expect(report.figures.period.seconds).to.equal(to - from);
    expect(report.figures.incidents.map((i) => i.id)).to.deep.equal([2, 3, 4]);
    expect(p.windows.map((w) => [w.start.time - t0, w.end.time - t0])).to.deep.equal([
      [T1 + 1800, T1 + HOUR],
      [T2, T2 + 1800],
      [T3, T3 + HOUR],
    ]);
    expect([p.unplannedSeconds, p.plannedSeconds]).to.deep.equal([1800 + 1800, HOUR]);
    expect(p.uptimePercent).to.equal(uptime(to - from, 1800 + 1800 + HOUR));
    expect(p.revenueLost?.perHour).to.equal(30);
    expect(p.revenueLost?.unplanned).to.equal((30 * 3600) / 3600);
    expect(p.timeToDetect.count, "no store: no detection for pauses by an account").to.equal(0);
    expect(report.notes.join(" ")).to.include("no watcher store");
  });

  it("refuses a period that ends before it starts, naming both ends", async function () {
    try {
      await buildReport({ pool, hub: String(hub.target), fromBlock: lastBlock, toBlock: anomalyBlock });
      expect.fail("should have thrown");
    } catch (error) {
      expect((error as Error).message).to.match(/the report period is empty: it starts at .* and ends at /);
    }
  });
});
