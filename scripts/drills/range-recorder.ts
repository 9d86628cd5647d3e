/**
 * A detector module (the keeper's plug-in API, `kind: module`) that finds nothing and appends each block range the
 * watcher processes to a file (`options.file`, one "from to" line per range), so a fire drill can count the blocks
 * the watcher skipped, across restarts of the keeper process.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";

import type { DetectorModuleContext } from "@cordon/keeper/keeper/build.js";
import type { Detector } from "@cordon/keeper/detectors/types.js";

export default function rangeRecorder(context: DetectorModuleContext): Detector {
  const file = String(context.options.file);
  return {
    name: context.name,
    evaluate: ({ range }) => {
      appendFileSync(file, `${range.from} ${range.to}\n`);
      return [];
    },
  };
}

/** The ranges a recorder wrote, in the order processed. */
export function readRanges(file: string): [number, number][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.split(" ").map(Number) as [number, number]);
}

/** How many blocks of [from, to] no recorded range covered. */
export function uncovered(ranges: [number, number][], from: number, to: number): number {
  let missing = 0;
  for (let block = from; block <= to; block++) {
    if (!ranges.some(([a, b]) => a <= block && block <= b)) missing += 1;
  }
  return missing;
}
