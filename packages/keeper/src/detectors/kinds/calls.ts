import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";
import { functionFragment, readAbiFile } from "../abi-spec.js";
import { callConditionNames, callSummaryNames } from "../calls.js";
import { attempt, checkCondition, checkSummary, type EntryProblem, entryAbi } from "../generic-config.js";

export default defineDetectorKind({
  kind: "calls",
  docs: "Transactions to `contract` calling one of `functions` (Solidity signatures, or names in the JSON `abi` file) whose decoded arguments (and `sender`, `txValue`, `method`, `reverted`) meet `condition` (CEL; none: every call). Top-level calls only: a call made by another contract is not seen without traces. Reads each block with its transactions, verified against its header's `transactionsRoot` and chained to the agreed head.",
  options: {
    contract: addressOrNameSchema,
    /** ["function pause()", "function transfer(address to, uint256 amount)"], or names/bare signatures with `abi`. */
    functions: z.array(z.string().min(1)).min(1, "at least one function"),
    abi: z.string().min(1).optional(),
    condition: z.string().min(1).optional(),
    summary: z.string().min(1).optional(),
  },
  addresses: ["contract"],
  validate: (c, { configDir }) => {
    const problems: EntryProblem[] = [];
    const abi = entryAbi(problems, c.abi, configDir);
    if (abi === null) return problems;
    c.functions.forEach((spec, i) => {
      const fn = attempt(problems, ["functions", i], () => functionFragment(spec, abi));
      if (fn === undefined) return;
      const what = `the arguments of ${fn.format("sighash")}${c.functions.length > 1 ? " (the condition applies to every function listed; give a function that lacks a name its own detector)" : ""}`;
      checkCondition(problems, ["condition"], c.condition, callConditionNames(fn), what);
      checkSummary(problems, c.summary, callSummaryNames(fn));
    });
    return problems;
  },
  build: async (c, { id, addresses, response, configDir }) => {
    const abi = c.abi === undefined ? undefined : readAbiFile(c.abi, configDir);
    return (await import("../calls.js")).callsDetector({
      name: id,
      contract: addresses.contract!,
      functions: c.functions.map((f) => functionFragment(f, abi)),
      ...(c.condition === undefined ? {} : { condition: c.condition }),
      ...(c.summary === undefined ? {} : { summary: c.summary }),
      severity: c.severity,
      response,
    });
  },
});
