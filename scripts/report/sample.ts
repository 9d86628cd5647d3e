/**
 * Draws the README's sample downtime report: builds the tests' five-incident history on a `hardhat node`, runs the
 * report over it with the watcher's store and a fee figure, and writes docs/report-sample.svg and .png (the PNG by
 * headless Chromium). Run: `npx hardhat run scripts/report/sample.ts`.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { svgToPng } from "@cordon/keeper/report/render/png.js";
import { buildReport, writeReport } from "@cordon/keeper/report/report.js";
import { renderTable } from "@cordon/keeper/report/render/table.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { startTestChain } from "@cordon/testkit/chain.js";
import { buildSampleHistory } from "../../test/support/report-history.js";

const chain = await startTestChain([]);
const dir = mkdtempSync(path.join(tmpdir(), "cordon-report-sample-"));
try {
  const sample = await buildSampleHistory(chain, dir);
  const report = await buildReport({
    pool: new RpcPool({ endpoints: [{ name: "node", url: chain.node.url }] }),
    hub: String(sample.hub.target),
    fromBlock: sample.anomalyBlock,
    toBlock: sample.lastBlock,
    store: sample.store,
    revenue: { feesPerHour: 1_250 },
    scopeNames: { 0: "deposit", 1: "withdraw", 2: "liquidate" },
  });
  sample.store.close();
  const files = writeReport(report, dir);
  mkdirSync("docs", { recursive: true });
  copyFileSync(files.svg, "docs/report-sample.svg");
  svgToPng("docs/report-sample.svg", "docs/report-sample.png");
  console.log(renderTable(report));
  console.log("wrote docs/report-sample.svg and docs/report-sample.png");
} finally {
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}
