/**
 * What `cordon deploy --params <file>` deploys: the hub and a protocol's configuration (governance, guardians, pause
 * bound and cooldown, protected contracts, outflow limits, attestation threshold, grace), read from a JSON file and
 * checked on load with messages that name the field. Protected contracts are either addresses or contracts to deploy
 * with the hub's address among their constructor arguments (`"$hub"`), since a guarded contract fixes its hub at
 * construction. A contract that is already deployed and pausable, and cannot inherit CordonGuarded, is put behind the
 * hub with a `pausable` entry: `cordon deploy` deploys a CordonPausableAdapter that pauses and unpauses it with the
 * hub (its admin then grants the adapter the role its pause function needs). The Ignition module that deploys it is
 * `cordonModule` in @cordon/hardhat.
 */
import { readFileSync } from "node:fs";

import { FunctionFragment, Interface, isAddress } from "ethers";
import { z } from "zod";

import { CordonHubConstants } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";
import { OUTFLOW_POLICIES } from "./abi.js";

const address = z.string().refine((value) => isAddress(value), { message: "not an address" });
const uint = z
  .union([z.string().regex(/^\d+$/, "a whole number (as a string for large values)"), z.number().int().min(0)])
  .transform((value) => BigInt(value));
const seconds = z.number().int().min(0);
/** A function signature such as `pause()` or `setPoolPause(bool)`, checked by parsing it. */
const signature = z.string().refine(
  (value) => {
    try {
      FunctionFragment.from(`function ${value}`);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a function signature: write it as "pause()" or "setPoolPause(bool)"' },
);
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
          z.object({ id: identifier, contract: z.string().min(1), args: z.array(z.unknown()).default([]) }).strict(),
          z
            .object({
              id: identifier,
              /** A deployed pausable contract, paused and unpaused with the hub through a CordonPausableAdapter. */
              pausable: z
                .object({
                  target: address,
                  pause: signature.default("pause()"),
                  pauseArgs: z.array(z.unknown()).default([]),
                  unpause: signature.default("unpause()"),
                  unpauseArgs: z.array(z.unknown()).default([]),
                  /** The parameterless view that says it is paused. */
                  paused: signature.default("paused()"),
                  /** Scopes whose pause also pauses it (besides protocol-wide pauses). */
                  scopes: z.array(scope).default([]),
                  /** Whether it reopens in Recovery (unless sealed) and Shutdown. */
                  openInExitMode: z.boolean().default(false),
                })
                .strict(),
            })
            .strict(),
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
    params.protected.forEach((p, i) => {
      if (typeof p === "string" || !("pausable" in p)) return;
      try {
        adapterArgs(p.pausable);
      } catch (error) {
        if (!(error instanceof CordonError)) return; // a signature that does not parse: its own field says so
        const { shortMessage, details } = error;
        const field = shortMessage.includes("unpauseArgs") ? "unpauseArgs" : "pauseArgs";
        ctx.addIssue({ code: "custom", path: ["protected", i, "pausable", field], message: details ?? shortMessage });
      }
    });
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
export type PausableEntry = Extract<DeployParams["protected"][number], { pausable: unknown }>["pausable"];

/** The CordonPausableAdapter's constructor arguments after the hub's address, for a `pausable` entry. */
export function adapterArgs(p: PausableEntry): [string, string, string, string, bigint, boolean] {
  const call = (sig: string, args: unknown[], field: string) => {
    const fragment = FunctionFragment.from(`function ${sig}`);
    try {
      return new Interface([fragment]).encodeFunctionData(fragment, args);
    } catch (error) {
      throw new CordonError(`protected: pausable.${field} ${JSON.stringify(args)} do not fit ${sig}`, {
        details: `${JSON.stringify(args)} do not fit ${sig} (${(error as Error).message.split(" (")[0]}): give one value per parameter of ${fragment.format()}`,
        cause: error,
      });
    }
  };
  const paused = FunctionFragment.from(`function ${p.paused}`);
  return [
    p.target,
    call(p.pause, p.pauseArgs, "pauseArgs"),
    call(p.unpause, p.unpauseArgs, "unpauseArgs"),
    paused.selector,
    p.scopes.reduce((mask, s) => mask | (1n << BigInt(s)), 0n),
    p.openInExitMode,
  ];
}

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
