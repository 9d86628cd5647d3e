/**
 * The report's timeline as a standalone SVG (hand-written, no dependency): one lane per scope under the whole
 * protocol's lane, downtime windows coloured by cause (planned maintenance hatched), a mark where each incident was
 * detected and where its pause landed, a time axis in UTC and a legend.
 */
import type { Cause } from "../history.js";
import type { Report } from "../report.js";
import { duration, laneLabel, percent, utc } from "./format.js";

export const CAUSE_COLOURS: Record<Cause, string> = {
  security: "#d62728",
  network: "#1f77b4",
  congestion: "#ff7f0e",
  maintenance: "#2ca02c",
  other: "#9467bd",
};

const WIDTH = 1200;
const LABEL = 220;
const RIGHT = 110;
const TOP = 64;
const LANE = 30;
const GAP = 10;

const STEPS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 30 * 86_400];

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function renderSvg(report: Report): string {
  const { figures, scopeNames } = report;
  const { start, end } = figures.period;
  const lanes = [figures.protocol, ...figures.lanes];
  const plotWidth = WIDTH - LABEL - RIGHT;
  const x = (t: number) =>
    LABEL + ((Math.min(Math.max(t, start.time), end.time) - start.time) / figures.period.seconds) * plotWidth;
  const laneY = (i: number) => TOP + i * (LANE + GAP);
  const axisY = laneY(lanes.length) + 4;
  const height = axisY + 90;
  const out: string[] = [];

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<defs><pattern id="planned" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)">` +
      `<rect width="8" height="8" fill="${CAUSE_COLOURS.maintenance}"/><rect width="3" height="8" fill="#ffffff" opacity="0.55"/></pattern></defs>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="bold">Downtime: ${esc(figures.hub)}</text>`,
    `<text x="16" y="46" fill="#444">${esc(`${utc(start.time)} to ${utc(end.time)} (${duration(figures.period.seconds)}), ${figures.protocol.incidents} incident(s)`)}</text>`,
  );

  // Time axis: gridlines at a round step, at most about eight of them.
  const step = STEPS.find((s) => figures.period.seconds / s <= 8) ?? STEPS.at(-1)!;
  for (let t = Math.ceil(start.time / step) * step; t <= end.time; t += step) {
    const tx = x(t).toFixed(1);
    const label = utc(t).replace(/:00Z$/, "Z").replace("T", " ");
    out.push(
      `<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${axisY}" stroke="#dddddd"/>`,
      `<text x="${tx}" y="${axisY + 16}" text-anchor="middle" fill="#444" font-size="11">${esc(label)}</text>`,
    );
  }
  out.push(`<line x1="${LABEL}" y1="${axisY}" x2="${LABEL + plotWidth}" y2="${axisY}" stroke="#888"/>`);

  const incidents = new Map(figures.incidents.map((i) => [i.id, i]));
  lanes.forEach((lane, i) => {
    const y = laneY(i);
    out.push(
      `<rect x="${LABEL}" y="${y}" width="${plotWidth}" height="${LANE}" fill="#eef5ee" stroke="#cccccc"/>`,
      `<text x="${LABEL - 10}" y="${y + LANE / 2 + 5}" text-anchor="end">${esc(laneLabel(lane.lane, scopeNames))}</text>`,
      `<text x="${LABEL + plotWidth + 8}" y="${y + LANE / 2 + 5}" fill="#444">${esc(percent(lane.uptimePercent))}</text>`,
    );
    for (const w of lane.windows) {
      const x1 = x(w.start.time);
      const width = Math.max(2, x(w.end.time) - x1);
      const fill = w.planned ? "url(#planned)" : CAUSE_COLOURS[w.cause];
      const title = `incident #${w.incidentId} (${w.cause}${w.planned ? ", planned" : ""}): ${utc(w.start.time)} to ${w.ongoing ? "still down" : utc(w.end.time)}, ${duration(w.seconds)}`;
      out.push(
        `<rect x="${x1.toFixed(1)}" y="${y + 3}" width="${width.toFixed(1)}" height="${LANE - 6}" fill="${fill}"><title>${esc(title)}</title></rect>`,
      );
      const incident = incidents.get(w.incidentId);
      if (incident === undefined) continue;
      // Marks on the window that starts with the pause: detection (a triangle above) and the pause (a bar).
      if (w.start.time !== incident.pausedAt.time && lane.lane !== "any") continue;
      const inPeriod = (t: number) => t >= start.time && t <= end.time;
      if (incident.detectedAt !== undefined && inPeriod(incident.detectedAt.time)) {
        const dx = x(incident.detectedAt.time);
        out.push(
          `<path d="M${(dx - 5).toFixed(1)},${y - 6} L${(dx + 5).toFixed(1)},${y - 6} L${dx.toFixed(1)},${y + 2} Z" fill="#111"><title>detected ${esc(utc(incident.detectedAt.time))}</title></path>`,
        );
      }
      if (inPeriod(incident.pausedAt.time)) {
        const px = x(incident.pausedAt.time);
        out.push(
          `<rect x="${(px - 1.5).toFixed(1)}" y="${y - 2}" width="3" height="${LANE + 4}" fill="#111"><title>paused ${esc(utc(incident.pausedAt.time))}</title></rect>`,
        );
      }
    }
  });

  // Legend.
  let lx = LABEL;
  const ly = axisY + 44;
  const causes: [string, string][] = [
    ["security", CAUSE_COLOURS.security],
    ["network", CAUSE_COLOURS.network],
    ["congestion", CAUSE_COLOURS.congestion],
    ["maintenance (planned)", "url(#planned)"],
    ["other", CAUSE_COLOURS.other],
  ];
  for (const [name, fill] of causes) {
    out.push(
      `<rect x="${lx}" y="${ly - 11}" width="22" height="14" fill="${fill}"/>`,
      `<text x="${lx + 28}" y="${ly}">${esc(name)}</text>`,
    );
    lx += 40 + name.length * 7.5;
  }
  out.push(
    `<path d="M${lx},${ly - 11} L${lx + 12},${ly - 11} L${lx + 6},${ly - 1} Z" fill="#111"/>`,
    `<text x="${lx + 18}" y="${ly}">detected</text>`,
    `<rect x="${lx + 92}" y="${ly - 13}" width="3" height="18" fill="#111"/>`,
    `<text x="${lx + 102}" y="${ly}">pause landed</text>`,
    `<text x="16" y="${ly + 26}" fill="#666" font-size="11">Times in UTC. Right: uptime over the period. Lanes: any part of the protocol, the whole protocol (Paused, Recovery, Shutdown), each scope.</text>`,
    "</svg>",
    "",
  );
  return out.join("\n");
}
