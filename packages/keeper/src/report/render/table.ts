/** The report as text for a terminal: the period, one row per lane, one row per incident, the revenue estimate. */
import type { Report } from "../report.js";
import { duration, laneLabel, meanWorst, percent, textTable, utc } from "./format.js";

export const LANE_HEADER = [
  "lane",
  "uptime",
  "uptime (unplanned)",
  "down",
  "unplanned",
  "planned",
  "windows",
  "detect mean/worst",
  "pause mean/worst",
  "recover mean/worst",
];

export function laneRows(report: Report): string[][] {
  const { protocol, lanes } = report.figures;
  return [protocol, ...lanes].map((l) => [
    laneLabel(l.lane, report.scopeNames),
    percent(l.uptimePercent),
    percent(l.unplannedUptimePercent),
    duration(l.downtimeSeconds),
    duration(l.unplannedSeconds),
    duration(l.plannedSeconds),
    String(l.windows.length),
    meanWorst(l.timeToDetect),
    meanWorst(l.timeToPause),
    meanWorst(l.timeToRecover),
  ]);
}

export const INCIDENT_HEADER = [
  "incident",
  "cause",
  "reason",
  "scopes",
  "anomaly",
  "detected",
  "paused",
  "recovery",
  "resumed",
  "restored",
  "to detect",
  "to pause",
  "to recover",
  "down in period",
];

export function incidentRows(report: Report): string[][] {
  return report.figures.incidents.map((i) => [
    `#${i.id}`,
    i.planned ? `${i.cause} (planned)` : i.cause,
    `0x${i.reason.toString(16).padStart(4, "0")}`,
    i.protocolWide ? "all" : i.scopes.join(",") || "-",
    utc(i.anomalyAt?.time),
    utc(i.detectedAt?.time),
    utc(i.pausedAt.time),
    utc(i.recoveryAt?.time),
    utc(i.resumedAt?.time),
    i.restoredAt === undefined ? (i.shutdown ? "shut down" : "still down") : utc(i.restoredAt.time),
    duration(i.timeToDetect),
    duration(i.timeToPause),
    duration(i.timeToRecover),
    duration(i.downtimeSeconds),
  ]);
}

export function periodLine(report: Report): string {
  const { period, hub } = report.figures;
  const blocks =
    period.start.block !== undefined && period.end.block !== undefined
      ? ` (blocks ${period.start.block} to ${period.end.block})`
      : "";
  return `hub ${hub}, ${utc(period.start.time)} to ${utc(period.end.time)}${blocks}: ${duration(period.seconds)}`;
}

export function summaryLines(report: Report): string[] {
  const p = report.figures.protocol;
  const lines = [
    `${p.incidents} incident(s): ${p.unplannedIncidents} unplanned, ${p.plannedIncidents} planned maintenance; ` +
      `whole protocol stopped for ${duration(p.fullOutageSeconds)}`,
  ];
  const causes = Object.entries(p.byCause)
    .filter(([, c]) => c.incidents > 0)
    .map(([cause, c]) => `${cause} ${c.incidents} (${duration(c.downtimeSeconds)})`);
  if (causes.length > 0) lines.push(`by cause: ${causes.join(", ")}`);
  const r = p.revenueLost;
  if (r !== undefined) {
    const n = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 2 });
    lines.push(
      `revenue lost (at ${n(r.perHour)} per hour of downtime): ${n(r.unplanned)} unplanned, ${n(r.planned)} planned, ${n(r.total)} in all`,
    );
  }
  return lines;
}

export function renderTable(report: Report): string {
  return [
    `Cordon downtime report: ${periodLine(report)}`,
    "",
    textTable(LANE_HEADER, laneRows(report)),
    "",
    ...summaryLines(report),
    "",
    report.figures.incidents.length === 0
      ? "No incidents in the period."
      : textTable(INCIDENT_HEADER, incidentRows(report)),
    ...report.notes.map((n) => `note: ${n}`),
    "",
  ].join("\n");
}
