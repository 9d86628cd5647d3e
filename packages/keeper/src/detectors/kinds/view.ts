import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";
import { functionFragment, readAbiFile } from "../abi-spec.js";
import { attempt, checkCondition, checkSummary, type EntryProblem, entryAbi } from "../generic-config.js";
import { viewConditionNames, viewSummaryNames } from "../view.js";

export default defineDetectorKind({
  kind: "view",
  docs: "A view `function` of `contract` (a Solidity signature, or its name in the JSON `abi` file) read every `everyBlocks` blocks; a finding when `condition` (CEL over `value`, `previous`, and `first`, `min`, `max`, `change` within `windowBlocks`) becomes true. Reads a quorum `eth_call` pinned to the block.",
  options: {
    contract: addressOrNameSchema,
    /** "function totalAssets() view returns (uint256)", or a name/bare signature with `abi`. */
    function: z.string().min(1),
    abi: z.string().min(1).optional(),
    /** The function's arguments, in order (amounts and addresses as strings). */
    args: z.array(z.union([z.string(), z.number(), z.boolean()])).default([]),
    /** Read at every block whose number is a multiple of this. Default 1. */
    everyBlocks: z.number().int().positive().default(1),
    /** How far back `first`, `min`, `max` and `change` look, in blocks. Default `everyBlocks`. */
    windowBlocks: z.number().int().positive().optional(),
    condition: z.string().min(1),
    summary: z.string().min(1).optional(),
  },
  addresses: ["contract"],
  validate: (c, { configDir }) => {
    const problems: EntryProblem[] = [];
    const abi = entryAbi(problems, c.abi, configDir);
    if (abi === null) return problems;
    const fn = attempt(problems, ["function"], () => functionFragment(c.function, abi));
    if (fn === undefined) return problems;
    if (fn.outputs.length === 0) {
      problems.push({
        path: ["function"],
        message: `${fn.format("sighash")} declares no outputs: write its return type, e.g. "function totalAssets() view returns (uint256)"`,
      });
      return problems;
    }
    if (c.args.length !== fn.inputs.length) {
      problems.push({
        path: ["args"],
        message: `${fn.format("sighash")} takes ${fn.inputs.length} argument${fn.inputs.length === 1 ? "" : "s"}, and ${c.args.length} ${c.args.length === 1 ? "is" : "are"} given: list them in order under \`args\``,
      });
    }
    checkCondition(
      problems,
      ["condition"],
      c.condition,
      viewConditionNames(fn),
      `the result of ${fn.format("sighash")}`,
    );
    checkSummary(problems, c.summary, viewSummaryNames(fn));
    return problems;
  },
  build: async (c, { id, addresses, response, configDir }) =>
    (await import("../view.js")).viewDetector({
      name: id,
      contract: addresses.contract!,
      function: functionFragment(c.function, c.abi === undefined ? undefined : readAbiFile(c.abi, configDir)),
      args: c.args,
      everyBlocks: c.everyBlocks,
      ...(c.windowBlocks === undefined ? {} : { windowBlocks: c.windowBlocks }),
      condition: c.condition,
      ...(c.summary === undefined ? {} : { summary: c.summary }),
      severity: c.severity,
      response,
    }),
});
