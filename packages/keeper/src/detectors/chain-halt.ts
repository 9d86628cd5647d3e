/**
 * Chain halt: no new agreed head for longer than `maxSilenceSeconds` of wall-clock time. A halted chain produces no
 * ranges, so this runs on the watcher's tick (`poll`). One finding per halt, and an info finding when heads move
 * again. No response by default: pausing a chain that includes no transactions does nothing.
 */
import type { BlockHead } from "../rpc/endpoint.js";
import { CordonError } from "../errors.js";
import type { Severity } from "../domain/types.js";
import type { Detector, DetectorFinding, PollContext, Response } from "./types.js";

export interface ChainHaltOptions {
  name?: string;
  /** Seconds without a new agreed head after which the chain counts as halted. */
  maxSilenceSeconds: number;
  severity?: Severity;
  /** None by default: a halted chain would not include the pause. */
  response?: Response;
}

export function chainHaltDetector(options: ChainHaltOptions): Detector {
  const name = options.name ?? "chain-halt";
  if (!(options.maxSilenceSeconds > 0)) {
    throw new CordonError(`${name}: maxSilenceSeconds ${options.maxSilenceSeconds} must be above 0`);
  }
  /** The newest agreed head seen, and when (wall clock) it was first seen; the clock starts at the first poll. */
  let last: { head: BlockHead | undefined; since: number } | undefined;
  let halted = false;

  const finding = (
    head: BlockHead | undefined,
    fields: Omit<DetectorFinding, "blockNumber" | "blockHash" | "detector">,
  ) => ({
    blockNumber: head?.number ?? 0,
    blockHash: head?.hash ?? "",
    detector: name,
    ...fields,
  });

  return {
    name,
    evaluate: () => [],
    poll({ now, head }: PollContext): DetectorFinding[] {
      if (last === undefined) {
        last = { head, since: now };
        return [];
      }
      if (head !== undefined && (last.head === undefined || head.number > last.head.number)) {
        const silence = (now - last.since) / 1000;
        const previous = last.head;
        last = { head, since: now };
        if (!halted) return [];
        halted = false;
        return [
          finding(head, {
            severity: "info",
            summary:
              `the chain resumed: block ${head.number} arrived after ${silence.toFixed(1)} s without a new head` +
              (previous === undefined ? "" : ` (last was block ${previous.number})`),
            data: { kind: "resumed", head: head.number, previousHead: previous?.number, silenceSeconds: silence },
          }),
        ];
      }
      const silence = (now - last.since) / 1000;
      if (halted || silence <= options.maxSilenceSeconds) return [];
      halted = true;
      const at = last.head;
      return [
        finding(at, {
          severity: options.severity ?? "high",
          summary:
            (at === undefined
              ? `no endpoint quorum has agreed on any head for ${silence.toFixed(1)} s`
              : `no new head for ${silence.toFixed(1)} s: the newest agreed block is ${at.number} (${at.hash})`) +
            ` (max ${options.maxSilenceSeconds} s)`,
          data: {
            kind: "halt",
            head: at?.number,
            headHash: at?.hash,
            headTimestamp: at?.timestamp,
            silenceSeconds: silence,
            maxSilenceSeconds: options.maxSilenceSeconds,
          },
          response: options.response,
        }),
      ];
    },
  };
}
