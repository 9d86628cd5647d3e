import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { decodePng, findChromium, svgSize, svgToPng } from "@cordon/keeper/report/render/png.js";
import { buildReport, writeReport } from "@cordon/keeper/report/report.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { buildSampleHistory, type SampleHistory } from "../../support/report-history.js";

describe("Downtime report timeline: the SVG renders in headless Chromium", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let dir: string;
  let sample: SampleHistory;

  before(async function () {
    // CI installs Chromium (.ci/run); a missing browser is a failure here, not a skip.
    if (findChromium() === undefined) {
      throw new Error(
        "Chromium is not installed: run `apt-get install -y --no-install-recommends chromium` (as .ci/run does)",
      );
    }
    chain = await startTestChain([]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-report-png-"));
    sample = await buildSampleHistory(chain, dir);
  });

  after(async function () {
    sample?.store.close();
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("renders a blank SVG as a picture of one colour (the check can tell)", function () {
    const svg = path.join(dir, "blank.svg");
    writeFileSync(
      svg,
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120"><rect width="300" height="120" fill="#fff"/></svg>',
    );
    svgToPng(svg, path.join(dir, "blank.png"));
    const png = decodePng(readFileSync(path.join(dir, "blank.png")));
    expect([png.width, png.height]).to.deep.equal([300, 120]);
    expect(png.colours).to.equal(1);
    expect(png.inked).to.equal(0);
  });

  it("renders the report's timeline: lanes, coloured windows and text", async function () {
    const pool = new RpcPool({ endpoints: [{ name: "node", url: chain.node.url }] });
    const report = await buildReport({
      pool,
      hub: String(sample.hub.target),
      fromBlock: sample.anomalyBlock,
      toBlock: sample.lastBlock,
      store: sample.store,
      scopeNames: { 0: "deposit", 1: "withdraw", 2: "liquidate" },
    });
    const files = writeReport(report, dir);
    const pngFile = path.join(dir, "report.png");
    svgToPng(files.svg, pngFile);
    const png = decodePng(readFileSync(pngFile));
    const size = svgSize(readFileSync(files.svg, "utf8"));
    expect([png.width, png.height]).to.deep.equal([size.width, size.height]);
    // White background, lane fills, five cause colours, black marks and anti-aliased text: many colours.
    expect(png.colours, "distinct colours").to.be.greaterThan(50);
    expect(png.inked, "share of non-white pixels").to.be.within(0.1, 0.9);
  });
});
