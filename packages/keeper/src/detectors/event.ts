/**
 * Any event of any contract, with a condition on its decoded arguments: one finding per matching log. The logs are
 * the follower's (every range's `eth_getLogs`, asked of a quorum and checked against the agreed block hashes), so a
 * single endpoint cannot add or hide one.
 */
import type { EventFragment } from "ethers";
import { Interface } from "ethers";

import type { Severity } from "../domain/types.js";
import {
  celType,
  celValue,
  type Condition,
  compileCondition,
  jsonValue,
  paramNames,
  renderSummary,
} from "./expression.js";
import type { Detector, DetectorContext, DetectorFinding, Response } from "./types.js";

export interface EventDetectorOptions {
  name?: string;
  contract: string;
  /** The event (`eventFragment` in `abi-spec.ts` reads one from a signature or an ABI file). */
  event: EventFragment;
  /** CEL over the event's arguments by name (`arg0`, ... for unnamed ones); without one, every event is a finding. */
  condition?: string;
  /** `{name}` is an argument's value; also `{contract}`, `{block}`, `{tx}`, `{event}`. */
  summary?: string;
  severity?: Severity;
  response?: Response;
}

/** The names (and CEL types) a condition on `event` can use. */
export function eventConditionNames(event: EventFragment): Record<string, string> {
  const names = paramNames(event.inputs);
  return Object.fromEntries(event.inputs.map((p, i) => [names[i]!, celType(p)]));
}

/** The names a summary template of `event` can use. */
export function eventSummaryNames(event: EventFragment): string[] {
  return [...paramNames(event.inputs), "contract", "block", "tx", "event"];
}

export function eventDetector(options: EventDetectorOptions): Detector {
  const name = options.name ?? "event";
  const contract = options.contract.toLowerCase();
  const event = options.event;
  const iface = new Interface([event]);
  const names = paramNames(event.inputs);
  const condition: Condition | undefined =
    options.condition === undefined ? undefined : compileCondition(options.condition, eventConditionNames(event));
  const signature = event.format("sighash");

  return {
    name,
    addresses: [options.contract],
    evaluate({ range }: DetectorContext): DetectorFinding[] {
      const findings: DetectorFinding[] = [];
      for (const log of range.logs) {
        if (log.address.toLowerCase() !== contract || log.topics[0] !== event.topicHash) continue;
        let decoded;
        try {
          decoded = iface.decodeEventLog(event, log.data, log.topics);
        } catch {
          continue; // same topic, other layout (indexed differently): not this event
        }
        const args = Object.fromEntries(event.inputs.map((p, i) => [names[i]!, jsonValue(p, decoded[i])]));
        let failed: string | undefined;
        if (condition !== undefined) {
          try {
            const values = Object.fromEntries(event.inputs.map((p, i) => [names[i]!, celValue(p, decoded[i])]));
            if (!condition.evaluate(values)) continue;
          } catch (error) {
            failed = (error as Error).message.split("\n")[0];
          }
        }
        const where = {
          contract: options.contract,
          block: String(log.blockNumber),
          tx: log.transactionHash,
          event: signature,
        };
        const described = `${event.name}(${names.map((n) => `${n}=${String(args[n])}`).join(", ")})`;
        findings.push({
          blockNumber: log.blockNumber,
          blockHash: log.blockHash,
          detector: name,
          severity: options.severity ?? "medium",
          summary:
            failed !== undefined
              ? `${described} on ${options.contract} in block ${log.blockNumber}: the condition \`${condition!.expression}\` could not be evaluated (${failed}); reported, not acted on`
              : options.summary !== undefined
                ? renderSummary(options.summary, { ...args, ...where })
                : `${described} on ${options.contract} in block ${log.blockNumber} (tx ${log.transactionHash})` +
                  (condition === undefined ? "" : `: ${condition.expression}`),
          data: {
            contract: options.contract,
            event: signature,
            args,
            tx: log.transactionHash,
            logIndex: log.logIndex,
            ...(condition === undefined ? {} : { condition: condition.expression }),
            ...(failed === undefined ? {} : { conditionError: failed }),
          },
          // A condition that could not be evaluated is never acted on: only what it was written to catch is.
          ...(options.response === undefined || failed !== undefined ? {} : { response: options.response }),
        });
      }
      return findings;
    },
  };
}
