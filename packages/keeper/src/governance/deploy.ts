/**
 * What `cordon deploy --params <file>` deploys: the hub and a protocol's configuration (governance, guardians, pause
 * bound and cooldown, protected contracts, outflow limits, attestation threshold, grace), read from a JSON file and
 * checked on load with messages that name the field. Protected contracts are either addresses or contracts to deploy
 * with the hub's address among their constructor arguments (`"$hub"`), since a guarded contract fixes its hub at
 * construction. The Ignition module that deploys it is ignition/modules/Cordon.ts.
 */
import { readFileSync } from "node:fs";

import { isAddress } from "ethers";
import { z } from "zod";

import { CordonHubConstants } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";
import { OUTFLOW_POLICIES } from "./abi.js";

const address = z.string().refine((value) => isAddress(value), { message: "not an address" });
const uint = z
  .union([z.string().regex(/^\d+$/, "a whole number (as a string for large values)"), z.number().int().min(0)])
  .transform((value) => BigInt(value));
const seconds = z.number().int().min(0);
const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "letters, digits and _, starting with a letter");

/** The limit policies of OutflowLimit.sol (`OutflowLimit.Policy`), by the names the tasks and config use. */
export const POLICIES = Object.fromEntries(OUTFLOW_POLICIES.map((name, index) => [name, index])) as Record<
  (typeof OUTFLOW_POLICIES)[number],
  number
>;
const POLICY_NAMES = OUTFLOW_POLICIES as [(typeof OUTFLOW_POLICIES)[number], ...(typeof OUTFLOW_POLICIES)[number][]];
const scope = z
  .number()
  .int()
  .min(0)
  .max(CordonHubConstants.SCOPE_COUNT - 1, `the hub has scopes 0 to ${CordonHubConstants.SCOPE_COUNT - 1}`);
const MAX_PAUSE = CordonHubConstants.MAX_GUARDIAN_PAUSE_DURATION;
const MIN_COOLDOWN = CordonHubConstants.MIN_GUARDIAN_COOLDOWN;
const maxPause = `at most ${MAX_PAUSE / 86400} days (${MAX_PAUSE} seconds)`;

export const deployParamsSchema = z
  .object({
    governance: z
      .object({
        kind: z.enum(["direct", "safe", "timelock"]),
        address: address.optional(),
        /** A Safe's MultiSendCallOnly, recorded for tasks that send several calls in one Safe transaction. */
        multiSend: address.optional(),
      })
      .default({ kind: "direct" })
      .refine((g) => g.kind === "direct" || g.address !== undefined, {
        message: "a Safe or timelock governance needs its address",
      }),
    guardians: z.array(address).default([]),
    guardianPauseDuration: seconds.max(MAX_PAUSE, maxPause).default(3 * 86400),
    guardianCooldown: seconds
      .min(MIN_COOLDOWN, `at least ${MIN_COOLDOWN} seconds: the hub leaves that much open time between guardian pauses`)
      .max(MAX_PAUSE, maxPause)
      .default(86400),
    attestationThreshold: z.number().int().min(0).default(0),
    grace: z.object({ scopes: z.array(scope), period: seconds }).optional(),
    protected: z
      .array(
        z.union([
          address,
          z.object({ id: identifier, contract: z.string().min(1), args: z.array(z.unknown()).default([]) }),
        ]),
      )
      .default([]),
    limits: z
      .array(
        z.object({
          target: z.string().min(1),
          asset: address,
          scope,
          capacity: uint,
          window: seconds,
          largeThreshold: uint.default(0n),
          policy: z.enum(POLICY_NAMES),
          inflowRefills: z.boolean().default(false),
          queueDelay: seconds.default(0),
        }),
      )
      .default([]),
  })
  .strict()
  .superRefine((params, ctx) => {
    if (params.attestationThreshold > params.guardians.length) {
      ctx.addIssue({
        code: "custom",
        path: ["attestationThreshold"],
        message: `${params.attestationThreshold} is more than the ${params.guardians.length} guardians`,
      });
    }
    const known = new Set(params.protected.map((p) => (typeof p === "string" ? p.toLowerCase() : p.id)));
    params.limits.forEach((limit, i) => {
      const target = isAddress(limit.target) ? limit.target.toLowerCase() : limit.target;
      if (!known.has(target)) {
        ctx.addIssue({
          code: "custom",
          path: ["limits", i, "target"],
          message: `"${limit.target}" is not a protected contract's address or id`,
        });
      }
    });
  });

export type DeployParams = z.infer<typeof deployParamsSchema>;

/** Reads and checks a deploy parameters file, naming each problem's field. */
export function readDeployParams(file: string): DeployParams {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CordonError(`--params ${file} cannot be read as JSON`, {
      details: `${(error as Error).message}. The fields are described in src/governance/deploy.ts`,
      cause: error,
    });
  }
  const parsed = deployParamsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new CordonError(`--params ${file} is not a valid Cordon configuration`, { details: problems.join("; ") });
  }
  return parsed.data;
}
