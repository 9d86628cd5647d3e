import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";
import { eventFragment, readAbiFile } from "../abi-spec.js";
import { eventConditionNames, eventSummaryNames } from "../event.js";
import { attempt, checkCondition, checkSummary, type EntryProblem, entryAbi } from "../generic-config.js";

export default defineDetectorKind({
  kind: "event",
  docs: "Every `event` of `contract` (a Solidity signature, or its name in the JSON `abi` file) whose decoded arguments meet `condition` (CEL; none: every one). One finding per log, the arguments in `data`. Reads logs.",
  options: {
    contract: addressOrNameSchema,
    /** "event Transfer(address indexed from, address indexed to, uint256 value)", or a name/bare signature with `abi`. */
    event: z.string().min(1),
    /** A JSON ABI file (or an artifact with `abi`), relative to the config file. */
    abi: z.string().min(1).optional(),
    condition: z.string().min(1).optional(),
    /** The finding's summary: `{name}` is an argument's value; also `{contract}`, `{block}`, `{tx}`, `{event}`. */
    summary: z.string().min(1).optional(),
  },
  addresses: ["contract"],
  validate: (c, { configDir }) => {
    const problems: EntryProblem[] = [];
    const abi = entryAbi(problems, c.abi, configDir);
    if (abi === null) return problems;
    const event = attempt(problems, ["event"], () => eventFragment(c.event, abi));
    if (event === undefined) return problems;
    if (event.anonymous) {
      problems.push({
        path: ["event"],
        message: `${event.name} is anonymous: its logs carry no signature to match on`,
      });
      return problems;
    }
    checkCondition(
      problems,
      ["condition"],
      c.condition,
      eventConditionNames(event),
      `the arguments of ${event.format("sighash")}`,
    );
    checkSummary(problems, c.summary, eventSummaryNames(event));
    return problems;
  },
  build: async (c, { id, addresses, response, configDir }) =>
    (await import("../event.js")).eventDetector({
      name: id,
      contract: addresses.contract!,
      event: eventFragment(c.event, c.abi === undefined ? undefined : readAbiFile(c.abi, configDir)),
      ...(c.condition === undefined ? {} : { condition: c.condition }),
      ...(c.summary === undefined ? {} : { summary: c.summary }),
      severity: c.severity,
      response,
    }),
});
