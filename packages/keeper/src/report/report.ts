/**
 * The downtime report end to end: resolves the period (a block range, a time range, or a mix), reads the hub's
 * history from the chain, dates detections from the watcher's store when one is given, computes the figures, and
 * writes them as JSON, Markdown and an SVG timeline. The `cordon report` task is a thin adapter over this module.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { CordonError } from "../errors.js";
import type { RpcPool } from "../rpc/pool.js";
import type { Store } from "../store/store.js";
import { computeFigures, type Figures, type Period, type RevenueOptions } from "./figures.js";
import { blockAtOrBefore, blockTime, blockTimes, fetchHubEvents, type History, rebuildHistory } from "./history.js";
import { renderMarkdown } from "./render/markdown.js";
import { renderSvg } from "./render/svg.js";
import { renderTable } from "./render/table.js";
import { applyEvidence, type EvidenceOptions, evidenceFromStore } from "./watcher-record.js";

export interface ReportOptions {
  pool: RpcPool;
  hub: string;
  /** The period: each end as a block or a time (unix seconds), not both. Defaults: the hub's deployment, the head. */
  fromBlock?: number;
  toBlock?: number;
  from?: number;
  to?: number;
  /** Where the hub's history starts (its deployment block, or earlier). Default 0. */
  historyFromBlock?: number;
  /** The watcher's store: dates anomalies and detections. */
  store?: Store;
  evidence?: EvidenceOptions;
  revenue?: RevenueOptions;
  /** Names for scopes (e.g. { 0: "deposit", 1: "withdraw" }); named scopes get a lane even if never paused. */
  scopeNames?: Record<number, string>;
  /** The largest `eth_getLogs` range tried. Default 10,000. */
  maxRange?: number;
}

export interface Report {
  figures: Figures;
  history: History;
  scopeNames: Record<number, string>;
  /** What the figures could not include, in words (e.g. no store: no detection times). */
  notes: string[];
}

export async function buildReport(options: ReportOptions): Promise<Report> {
  const { pool, hub } = options;
  const head = Number(await pool.request<string>("eth_blockNumber"));
  const historyFrom = options.historyFromBlock ?? 0;
  for (const [name, block] of [
    ["fromBlock", options.fromBlock],
    ["toBlock", options.toBlock],
  ] as const) {
    if (block !== undefined && !(Number.isInteger(block) && block >= 0 && block <= head)) {
      throw new CordonError(`${name} ${block} is not a block of this chain`, {
        details: `blocks run from 0 to the head, ${head}`,
      });
    }
  }
  if (options.fromBlock !== undefined && options.from !== undefined) {
    throw new CordonError("give the period's start as fromBlock or from, not both");
  }
  if (options.toBlock !== undefined && options.to !== undefined) {
    throw new CordonError("give the period's end as toBlock or to, not both");
  }

  // The end of the period, and the last block the history needs.
  const headTime = await blockTime(pool, head);
  let end: Period["end"];
  if (options.to !== undefined) {
    const time = Math.min(options.to, headTime);
    end = { time, block: await blockAtOrBefore(pool, time, head) };
  } else {
    const block = options.toBlock ?? head;
    end = { time: await blockTime(pool, block), block };
  }
  const endBlock = end.block!;
  if (endBlock < historyFrom) {
    throw new CordonError(`the period ends at block ${endBlock}, before the history starts (${historyFrom})`);
  }

  const { events, firstBlock } = await fetchHubEvents({
    pool,
    hub,
    fromBlock: historyFrom,
    toBlock: endBlock,
    maxRange: options.maxRange,
  });

  let start: Period["start"];
  if (options.from !== undefined) {
    start = { time: options.from, block: (await blockAtOrBefore(pool, options.from, head)) + 1 };
  } else {
    const block = options.fromBlock ?? firstBlock ?? historyFrom;
    start = { time: await blockTime(pool, block), block };
  }
  if (!(start.time < end.time)) {
    throw new CordonError(`the report period is empty: it starts at ${iso(start.time)} and ends at ${iso(end.time)}`, {
      details: "give a start before the end (blocks or times), and an end no later than the chain's head",
    });
  }

  const scopeNames = options.scopeNames ?? {};
  const history = rebuildHistory(
    hub,
    events,
    end,
    Object.keys(scopeNames).map((s) => Number(s)),
  );
  const notes: string[] = [];
  if (options.store !== undefined) {
    const evidence = evidenceFromStore(options.store, history.incidents, options.evidence);
    const blocks = [...new Set([...evidence.values()].map((e) => e.finding.blockNumber))];
    applyEvidence(history.incidents, evidence, await blockTimes(pool, blocks));
    const missing = history.incidents.filter((i) => !i.planned && i.anomalyAt === undefined).map((i) => i.id);
    if (missing.length > 0) notes.push(`no watcher finding for incident(s) ${missing.join(", ")}`);
  } else {
    notes.push(
      "no watcher store given: anomaly start and detection times are known only for on-chain trips (detected in the pause transaction)",
    );
  }
  const figures = computeFigures(history, { start, end }, options.revenue);
  if (figures.protocol.revenueLost === undefined) {
    notes.push("no fee figure given (feesPerHour, or feeRateBps with volumePerHour): no revenue estimate");
  }
  return { figures, history, scopeNames, notes };
}

export interface WrittenReport {
  json: string;
  markdown: string;
  svg: string;
}

/** Writes report.json, report.md and report.svg into `dir` (created if missing). */
export function writeReport(report: Report, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const files = {
    json: path.join(dir, "report.json"),
    markdown: path.join(dir, "report.md"),
    svg: path.join(dir, "report.svg"),
  };
  writeFileSync(files.json, reportJson(report));
  writeFileSync(files.markdown, renderMarkdown(report, "report.svg"));
  writeFileSync(files.svg, renderSvg(report));
  return files;
}

/** The report as JSON: the figures (times in unix seconds, durations in seconds) and the notes. */
export function reportJson(report: Report): string {
  return `${JSON.stringify({ ...report.figures, scopeNames: report.scopeNames, notes: report.notes }, null, 2)}\n`;
}

export { renderTable };

export function iso(time: number): string {
  return new Date(time * 1000).toISOString().replace(".000Z", "Z");
}
