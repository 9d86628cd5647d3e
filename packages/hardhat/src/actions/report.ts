/**
 * `npx hardhat cordon report`: the downtime record of one hub over a block or time range. A thin adapter over
 * src/report: parses the task's string options, finds the network's RPC URL (or takes `--rpc`), prints the table and
 * writes report.json, report.md and report.svg into `--out`. {@link runReport} does the work without Hardhat, for
 * tests and scripts.
 */
import { existsSync } from "node:fs";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CordonHubConstants } from "@cordon/keeper/contracts/generated/cordon.js";
import { CordonError } from "@cordon/keeper/errors.js";
import { buildReport, type WrittenReport, writeReport } from "@cordon/keeper/report/report.js";
import { renderTable } from "@cordon/keeper/report/render/table.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";

export interface ReportTaskArgs {
  network?: string;
  /** Comma-separated RPC URLs; default: the network's URL from the Hardhat config. */
  rpc?: string;
  hub: string;
  fromBlock?: string;
  toBlock?: string;
  /** Unix seconds or an ISO 8601 date. */
  from?: string;
  to?: string;
  /** Where the hub's history starts (its deployment block). Default 0. */
  historyFromBlock?: string;
  out: string;
  feesPerHour?: string;
  feeRateBps?: string;
  volumePerHour?: string;
  /** The watcher's store (a node:sqlite file). */
  store?: string;
  /** Scope names, e.g. "0=deposit,1=withdraw". */
  scopes?: string;
}

const given = (v: string | undefined): v is string => v !== undefined && v !== "";

function block(name: string, value: string | undefined): number | undefined {
  if (!given(value)) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CordonError(`--${name} must be a block number, not "${value}"`, {
      details: "e.g. 19000000 or 0x121eac0",
    });
  }
  return n;
}

function time(name: string, value: string | undefined): number | undefined {
  if (!given(value)) return undefined;
  const seconds = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(seconds)) {
    throw new CordonError(`--${name} must be unix seconds or an ISO 8601 date, not "${value}"`, {
      details: "e.g. 1735689600 or 2025-01-01T00:00:00Z",
    });
  }
  return Math.floor(seconds);
}

function amount(name: string, value: string | undefined): number | undefined {
  if (!given(value)) return undefined;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isFinite(n) || n < 0) throw new CordonError(`--${name} must be a number >= 0, not "${value}"`);
  return n;
}

function scopeNames(value: string | undefined): Record<number, string> {
  const names: Record<number, string> = {};
  if (!given(value)) return names;
  for (const part of value.split(",")) {
    const match = /^\s*(\d+)\s*=\s*(.+?)\s*$/.exec(part);
    if (match === null || Number(match[1]) >= CordonHubConstants.SCOPE_COUNT) {
      const last = CordonHubConstants.SCOPE_COUNT - 1;
      throw new CordonError(`--scopes must list scope=name pairs (scopes 0 to ${last}), not "${part}"`, {
        details: 'e.g. "0=deposit,1=withdraw"',
      });
    }
    names[Number(match[1])] = match[2]!;
  }
  return names;
}

/** Builds the report, writes its files into `args.out`, and returns the table with the files' paths. */
export async function runReport(
  args: ReportTaskArgs & { rpc: string },
): Promise<{ table: string; files: WrittenReport }> {
  if (!/^0x[0-9a-fA-F]{40}$/.test(args.hub)) {
    throw new CordonError(`--hub must be the hub's address, not "${args.hub}"`);
  }
  const urls = args.rpc
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
  const pool = new RpcPool({
    endpoints: urls.map((url, i) => ({ name: `rpc-${i + 1}`, url })),
    quorum: 1,
  });
  let store: Store | undefined;
  if (given(args.store)) {
    if (!existsSync(args.store)) {
      throw new CordonError(`--store ${args.store} does not exist`, {
        details: "give the path of the watcher's store file (its `store` setting)",
      });
    }
    store = new Store(args.store, Number(await pool.request<string>("eth_chainId")));
  }
  try {
    const report = await buildReport({
      pool,
      hub: args.hub,
      fromBlock: block("from-block", args.fromBlock),
      toBlock: block("to-block", args.toBlock),
      from: time("from", args.from),
      to: time("to", args.to),
      historyFromBlock: block("history-from-block", args.historyFromBlock),
      store,
      revenue: {
        feesPerHour: amount("fees-per-hour", args.feesPerHour),
        feeRateBps: amount("fee-rate-bps", args.feeRateBps),
        volumePerHour: amount("volume-per-hour", args.volumePerHour),
      },
      scopeNames: scopeNames(args.scopes),
    });
    return { table: renderTable(report), files: writeReport(report, args.out) };
  } finally {
    store?.close();
  }
}

/** The network's RPC URL from the Hardhat config (an `http` network). */
async function networkUrl(hre: HardhatRuntimeEnvironment, name: string): Promise<string> {
  const config = hre.config.networks[name];
  if (config === undefined) {
    throw new CordonError(`there is no network "${name}" in the Hardhat config`, {
      details: `configured networks: ${Object.keys(hre.config.networks).join(", ")}`,
    });
  }
  if (config.type !== "http") {
    throw new CordonError(`network "${name}" is simulated in-process and has no history to report on`, {
      details: "use an http network (e.g. --network localhost) or give --rpc <url>",
    });
  }
  return await config.url.getUrl();
}

export default async function reportAction(args: ReportTaskArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  const rpc = given(args.rpc)
    ? args.rpc
    : await networkUrl(hre, args.network ?? hre.globalOptions.network ?? "localhost");
  const { table, files } = await runReport({ ...args, rpc });
  console.log(table);
  console.log(`wrote ${files.json}, ${files.markdown} and ${files.svg}`);
}
