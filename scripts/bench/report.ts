/**
 * Benchmark of the downtime report: 1,000 incidents (security with recovery and a grace period, network pauses that
 * expire unsettled, congestion holds, planned maintenance) over 1,000,000 blocks. The chain is SYNTHETIC: hub event
 * logs encoded with the hub's ABI, served by a local JSON-RPC server (eth_getLogs, eth_getBlockByNumber), so the
 * measured path is the report's own: fetch in `eth_getLogs` ranges and block times over HTTP, rebuild, figures,
 * table, Markdown and SVG. Target: under 10 s. Run: `npm run bench:report`.
 */
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { hubEventsInterface } from "@cordon/keeper/report/history.js";
import { buildReport, writeReport } from "@cordon/keeper/report/report.js";
import { renderTable } from "@cordon/keeper/report/render/table.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";

const BLOCKS = 1_000_000;
const INCIDENTS = 1_000;
const BLOCK_TIME = 12;
const GENESIS = 1_700_000_000;
const TARGET_MS = 10_000;
const HUB = "0x00000000000000000000000000000000c0ffee00";
const GUARDIAN = "0x000000000000000000000000000000000000a11c";
const GOVERNANCE = "0x000000000000000000000000000000000000b0b0";

interface SyntheticLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const timeOf = (block: number) => GENESIS + block * BLOCK_TIME;

/** The hub's logs for the synthetic history, in chain order. */
function synthesize(): SyntheticLog[] {
  const logs: SyntheticLog[] = [];
  let logIndex = 0;
  let lastBlock = -1;
  const emit = (block: number, name: string, values: unknown[]) => {
    if (block !== lastBlock) logIndex = 0;
    lastBlock = block;
    const { data, topics } = hubEventsInterface.encodeEventLog(name, values);
    logs.push({
      address: HUB,
      topics,
      data,
      blockNumber: block,
      transactionHash: hex(BigInt(block) * 1000n + BigInt(logIndex)).padEnd(66, "0"),
      logIndex: logIndex++,
    });
  };
  const spacing = Math.floor(BLOCKS / INCIDENTS);
  let pendingSettle: { id: number; expiry: number; scopes: bigint; protocolWide: boolean; grace: boolean } | undefined;
  for (let i = 0; i < INCIDENTS; i++) {
    const id = i + 1;
    const b = i * spacing + 100;
    const t = timeOf(b);
    if (pendingSettle !== undefined) {
      const s = pendingSettle;
      emit(b, "PauseExpired", [s.id, s.expiry, s.scopes, s.protocolWide, s.grace ? 0 : s.expiry]);
      emit(b, "IncidentClosed", [s.id, GUARDIAN]);
      pendingSettle = undefined;
    }
    const scopes = 1n << BigInt(i % 8);
    switch (i % 4) {
      case 0: // security: guardian pause, recovery, resume with a grace period on scope 7
        emit(b, "IncidentOpened", [id, GUARDIAN, 0x0101]);
        emit(b, "StateChanged", [id, 0, 1, GUARDIAN, 0x0101, t + 3600]);
        emit(b + 50, "StateChanged", [id, 1, 2, GOVERNANCE, 0x0101, 0]);
        emit(b + 50, "RecoveryEntered", [id, id, `0x${"11".repeat(32)}`]);
        emit(b + 200, "ScopesPaused", [id, 1n << 7n, GOVERNANCE, 0x0401, timeOf(b + 200) + 600]);
        emit(b + 200, "Resumed", [id, id, `0x${"11".repeat(32)}`, 0]);
        emit(b + 200, "StateChanged", [id, 2, 0, GOVERNANCE, 0x0101, 0]);
        pendingSettle = { id, expiry: timeOf(b + 200) + 600, scopes: 1n << 7n, protocolWide: false, grace: true };
        break;
      case 1: // network: a guardian scope pause nobody confirms; it expires and is settled by the next incident
        emit(b, "IncidentOpened", [id, GUARDIAN, 0x0201]);
        emit(b, "ScopesPaused", [id, scopes, GUARDIAN, 0x0201, t + 3600]);
        pendingSettle = { id, expiry: t + 3600, scopes, protocolWide: false, grace: false };
        break;
      case 2: // congestion: governance holds a scope, then releases it
        emit(b, "IncidentOpened", [id, GOVERNANCE, 0x0301]);
        emit(b, "ScopesPaused", [id, scopes, GOVERNANCE, 0x0301, 0]);
        emit(b + 100, "ScopesUnpaused", [id, scopes, GOVERNANCE, 0x0301]);
        emit(b + 100, "IncidentClosed", [id, GOVERNANCE]);
        break;
      default: // planned maintenance: governance pauses everything, then unpauses
        emit(b, "IncidentOpened", [id, GOVERNANCE, 0x0401]);
        emit(b, "StateChanged", [id, 0, 1, GOVERNANCE, 0x0401, 0]);
        emit(b + 300, "StateChanged", [id, 1, 0, GOVERNANCE, 0x0401, 0]);
        emit(b + 300, "IncidentClosed", [id, GOVERNANCE]);
    }
  }
  return logs;
}

/** A JSON-RPC server answering from the synthetic chain. */
async function serve(
  logs: SyntheticLog[],
): Promise<{ url: string; close: () => Promise<void>; requests: () => number }> {
  let requests = 0;
  const firstAtOrAfter = (block: number) => {
    let lo = 0;
    let hi = logs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (logs[mid]!.blockNumber < block) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const answer = (method: string, params: unknown[]): unknown => {
    switch (method) {
      case "eth_chainId":
        return "0x7a69";
      case "eth_blockNumber":
        return hex(BLOCKS - 1);
      case "eth_getBlockByNumber": {
        const tag = params[0] as string;
        const n = tag === "latest" ? BLOCKS - 1 : Number(tag);
        if (n >= BLOCKS) return null;
        const hash = (k: number) => hex(BigInt(k) + 1n).padEnd(66, "0");
        return { number: hex(n), hash: hash(n), parentHash: hash(n - 1), timestamp: hex(timeOf(n)) };
      }
      case "eth_getLogs": {
        const filter = params[0] as { fromBlock: string; toBlock: string };
        const from = Number(filter.fromBlock);
        const to = Number(filter.toBlock);
        return logs
          .slice(firstAtOrAfter(from), firstAtOrAfter(to + 1))
          .map((l) => ({ ...l, blockNumber: hex(l.blockNumber), logIndex: hex(l.logIndex), removed: false }));
      }
      default:
        throw new Error(`unsupported ${method}`);
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: unknown; method: string; params: [] };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: body.id, result: answer(body.method, body.params ?? []) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
    requests: () => requests,
  };
}

const logs = synthesize();
const server = await serve(logs);
const dir = mkdtempSync(path.join(tmpdir(), "cordon-bench-report-"));
try {
  const started = performance.now();
  const report = await buildReport({
    pool: new RpcPool({ endpoints: [{ name: "synthetic", url: server.url }] }),
    hub: HUB,
    fromBlock: 0,
    toBlock: BLOCKS - 1,
    revenue: { feesPerHour: 1_000 },
    maxRange: 10_000,
  });
  const built = performance.now();
  renderTable(report);
  writeReport(report, dir);
  const done = performance.now();

  const f = report.figures;
  const ms = done - started;
  console.log(
    `SYNTHETIC chain: ${BLOCKS.toLocaleString("en-US")} blocks, ${logs.length.toLocaleString("en-US")} hub logs, served over local JSON-RPC`,
  );
  console.log(
    `incidents ${f.incidents.length} (${f.protocol.unplannedIncidents} unplanned, ${f.protocol.plannedIncidents} planned), ` +
      `${report.history.windows.length} lane windows over ${report.history.lanes.length} lanes, ${server.requests()} RPC requests`,
  );
  console.log(
    `uptime ${f.protocol.uptimePercent.toFixed(3)}%, revenue lost ${f.protocol.revenueLost?.total.toFixed(0)}`,
  );
  console.log(
    `fetch + rebuild + figures: ${(built - started).toFixed(0)} ms; table, JSON, Markdown, SVG: ${(done - built).toFixed(0)} ms`,
  );
  console.log(`total ${ms.toFixed(0)} ms (target < ${TARGET_MS} ms): ${ms < TARGET_MS ? "ok" : "TOO SLOW"}`);
  if (f.incidents.length !== INCIDENTS)
    throw new Error(`expected ${INCIDENTS} incidents, rebuilt ${f.incidents.length}`);
  if (ms >= TARGET_MS) process.exitCode = 1;
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
