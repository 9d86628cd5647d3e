/** Shared wording for the report's renderers: durations, percentages, times and lane names. */
import type { Stat } from "../figures.js";
import { PROTOCOL_LANE } from "../history.js";

/** "2d 03h 04m 05s", "4m 05s", "12s", "19.9s" (tenths below a minute). */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return "-";
  if (seconds < 0) return `-${duration(-seconds)}`;
  if (seconds < 60 && Math.round(seconds * 10) % 10 !== 0) return `${seconds.toFixed(1)}s`;
  let s = Math.round(seconds);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${pad(h)}h ${pad(m)}m ${pad(s)}s`;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

export function percent(value: number): string {
  return `${value.toFixed(3)}%`;
}

/** "mean / worst (n)" of a stat. */
export function meanWorst(stat: Stat): string {
  if (stat.count === 0) return "-";
  return `${duration(stat.mean)} / ${duration(stat.worst)} (${stat.count})`;
}

export function utc(time: number | undefined): string {
  if (time === undefined) return "-";
  return new Date(Math.round(time * 1000)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A lane's name for people: "any part", "whole protocol", "scope 1 (withdraw)". */
export function laneLabel(lane: string, scopeNames: Record<number, string>): string {
  if (lane === "any") return "any part";
  if (lane === PROTOCOL_LANE) return "whole protocol";
  const scope = Number(lane.slice(6));
  const name = scopeNames[scope];
  return name === undefined ? `scope ${scope}` : `scope ${scope} (${name})`;
}

/** A fixed-width text table. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, "\\|");
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}
