import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { runReport } from "@cordon/hardhat/actions/report.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { END, T3, buildSampleHistory, type SampleHistory } from "../../support/report-history.js";

describe("cordon report (task action): options as strings, files written, table printed", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let dir: string;
  let sample: SampleHistory;

  before(async function () {
    chain = await startTestChain([]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-report-task-"));
    sample = await buildSampleHistory(chain, dir);
    sample.store.close();
  });

  after(async function () {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const base = () => ({ rpc: chain.node.url, hub: String(sample.hub.target), out: path.join(dir, "out") });

  it("reports a time range given as ISO dates, with the store, scope names and a fee rate", async function () {
    const iso = (t: number) => new Date(t * 1000).toISOString();
    const { table, files } = await runReport({
      ...base(),
      from: iso(sample.t0),
      to: String(sample.t0 + END),
      store: path.join(dir, "watcher.db"),
      scopes: "0=deposit, 1=withdraw, 2=liquidate",
      feeRateBps: "5",
      volumePerHour: "2_000_000",
    });
    // Any part down 15,900 s of 60,900; 8,700 unplanned and 7,200 planned at 1,000 per hour.
    expect(table)
      .to.match(/any part +73\.892% +85\.714% +4h 25m 00s/)
      .and.include("scope 1 (withdraw)");
    expect(table).to.include("revenue lost (at 1,000 per hour of downtime): 2,416.67 unplanned, 2,000 planned");
    expect(table).to.include("#1").and.include("(planned)");
    for (const file of Object.values(files)) expect(existsSync(file), file).to.equal(true);
    const json = JSON.parse(readFileSync(files.json, "utf8")) as { incidents: { detection?: { source: string } }[] };
    expect(json.incidents[0]?.detection?.source, "detection from the store").to.equal("watcher");
  });

  it("reports a block range ending at incident 4's pause: incidents 1 to 3 only", async function () {
    // Blocks after the anomaly's: pause, recovery, resume, incidents 2 and 3 (three), then incident 4's pause.
    const toBlock = sample.anomalyBlock + 7;
    const { table } = await runReport({ ...base(), fromBlock: String(sample.anomalyBlock), toBlock: String(toBlock) });
    const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
    expect(table).to.include(
      `${iso(sample.t0)} to ${iso(sample.t0 + T3)} (blocks ${sample.anomalyBlock} to ${toBlock})`,
    );
    // Down 2,400 + 3,600 + 1,800 s of 40,000: 80.5% up, nothing planned.
    expect(table).to.match(/any part +80\.500% +80\.500% +2h 10m 00s/);
    expect(table).to.include("3 incident(s): 3 unplanned, 0 planned maintenance");
  });

  for (const [name, args, message] of [
    ["a hub that is not an address", { hub: "0x1234" }, '--hub must be the hub\'s address, not "0x1234"'],
    [
      "a store that does not exist",
      { store: "/nonexistent/watcher.db" },
      "--store /nonexistent/watcher.db does not exist",
    ],
    ["a bad scope list", { scopes: "deposit" }, '--scopes must list scope=name pairs (scopes 0 to 207), not "deposit"'],
    ["a bad date", { from: "yesterday" }, '--from must be unix seconds or an ISO 8601 date, not "yesterday"'],
    ["both fee figures", { feesPerHour: "1", feeRateBps: "2" }, "give either feesPerHour or feeRateBps, not both"],
    ["a fee rate without a volume", { feeRateBps: "2" }, "feeRateBps needs volumePerHour"],
  ] as const) {
    it(`refuses ${name}`, async function () {
      try {
        await runReport({ ...base(), ...args });
        expect.fail("should have thrown");
      } catch (error) {
        expect((error as Error).message).to.include(message);
      }
    });
  }
});
