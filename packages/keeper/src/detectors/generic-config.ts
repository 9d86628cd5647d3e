/**
 * The load-time checks the generic detector kinds (`event`, `view`, `calls`) share: the ABI they name resolves, the
 * condition type-checks against the names it can use, and the summary template names only those. Each problem is
 * relative to the entry (`["condition"]`); the loader adds the file, the line and the entry's path.
 */
import type { Interface } from "ethers";

import { CordonError } from "../errors.js";
import { readAbiFile } from "./abi-spec.js";
import { compileCondition, ConditionError, type ConditionNames, unknownTemplateNames } from "./expression.js";

export interface EntryProblem {
  path: (string | number)[];
  message: string;
}

/** Runs `step`, turning a CordonError into a problem at `at`; returns undefined when it failed. */
export function attempt<T>(problems: EntryProblem[], at: (string | number)[], step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof CordonError)) throw error;
    problems.push({
      path: at,
      message: error.details === undefined ? error.shortMessage : `${error.shortMessage}: ${error.details}`,
    });
    return undefined;
  }
}

/** The entry's `abi` file, or undefined (a problem is recorded when it cannot be read). */
export function entryAbi(
  problems: EntryProblem[],
  abi: string | undefined,
  configDir: string,
): Interface | undefined | null {
  if (abi === undefined) return undefined;
  return attempt(problems, ["abi"], () => readAbiFile(abi, configDir)) ?? null;
}

/** Type-checks a condition; a problem names the expression, what is wrong, and what to write instead. */
export function checkCondition(
  problems: EntryProblem[],
  at: (string | number)[],
  expression: string | undefined,
  names: ConditionNames,
  what: string,
): void {
  if (expression === undefined) return;
  try {
    compileCondition(expression, names);
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    const amount = Object.keys(names).find((n) => names[n] === "uint256");
    const example = amount !== undefined ? `${amount} > uint256("5000e18")` : "true";
    problems.push({
      path: at,
      message: `${JSON.stringify(expression)} is not a condition on ${what}: ${error.message}. Write a CEL expression over those names, e.g. \`${example}\` (see the detectors README, "Conditions")`,
    });
  }
}

export function checkSummary(problems: EntryProblem[], template: string | undefined, names: readonly string[]): void {
  if (template === undefined) return;
  const unknown = unknownTemplateNames(template, names);
  if (unknown.length > 0) {
    problems.push({
      path: ["summary"],
      message: `${unknown.map((n) => `{${n}}`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not known here: the template can use ${names.map((n) => `{${n}}`).join(", ")}`,
    });
  }
}
