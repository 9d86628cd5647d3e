/** The report as Markdown: the same tables as the terminal's, the timeline picture, and the definitions used. */
import type { Report } from "../report.js";
import { markdownTable } from "./format.js";
import { INCIDENT_HEADER, LANE_HEADER, incidentRows, laneRows, periodLine, summaryLines } from "./table.js";

export function renderMarkdown(report: Report, svgFile: string): string {
  return [
    "# Downtime report",
    "",
    periodLine(report),
    "",
    `![timeline](${svgFile})`,
    "",
    "## Availability",
    "",
    markdownTable(LANE_HEADER, laneRows(report)),
    "",
    ...summaryLines(report).map((l) => `- ${l}`),
    "",
    "## Incidents",
    "",
    report.figures.incidents.length === 0
      ? "No incidents in the period."
      : markdownTable(INCIDENT_HEADER, incidentRows(report)),
    "",
    "## Definitions",
    "",
    "- **any part**: some scope or the whole protocol unavailable; **whole protocol**: the hub's state was Paused, " +
      "Recovery or Shutdown; a **scope** is down when the whole protocol is or when it is paused itself.",
    "- **to detect**: detection (the watcher's first finding, or the on-chain trip) minus the anomaly's first block; " +
      "**to pause**: the pause's block time minus detection; **to recover**: every scope open again minus the pause.",
    "- Response times are over unplanned incidents; planned maintenance (reason class 0x04) is counted apart.",
    ...report.notes.map((n) => `- Note: ${n}.`),
    "",
  ].join("\n");
}
