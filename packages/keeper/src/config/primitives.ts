/**
 * The keeper config's building blocks: names, addresses, amounts, secrets, severities, reasons and scopes. The
 * config schema (`schema.ts`) and every kind of detector, action and alert channel (`config/kinds.ts`) use them.
 */
import { z } from "zod";

import { CordonHubConstants, Reasons } from "../contracts/generated/cordon.js";
import { SEVERITIES } from "../domain/types.js";

const NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const nameSchema = z.string().regex(NAME, "a name: a letter, then letters, digits, '_', '.' or '-'");

/** A 0x-prefixed 20-byte address, or the name of a contract in the protocol's `contracts`. */
export const addressOrNameSchema = z.union([
  z.string().regex(ADDRESS, "an address (0x and 40 hex digits)"),
  nameSchema,
]);

/** An amount in base units: digits ("1500000"), or a decimal with an exponent ("1.5e6", "20000e18"). */
export const amountSchema = z.union([z.string(), z.number().int().nonnegative()]).transform((value, ctx) => {
  const parsed = parseAmount(String(value));
  if (parsed === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not an amount in base units: write digits ("1500000") or a decimal with an exponent ("1.5e6")`,
    });
    return z.NEVER;
  }
  return parsed;
});

/** Exact conversion of "1.5e6"-style strings to bigint; undefined if not a whole number of base units. */
export function parseAmount(text: string): bigint | undefined {
  const match = /^\s*(\d+)(?:\.(\d+))?(?:e(\d+))?\s*$/i.exec(text.replaceAll("_", ""));
  if (match === null) return undefined;
  const [, whole, fraction = "", exponent = "0"] = match;
  const shift = Number(exponent) - fraction.length;
  if (shift < 0) {
    const dropped = fraction.slice(fraction.length + shift);
    if (/[1-9]/.test(dropped)) return undefined;
    return BigInt(whole! + fraction.slice(0, fraction.length + shift));
  }
  return BigInt(whole! + fraction) * 10n ** BigInt(shift);
}

export const envSecretSchema = z
  .object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name, e.g. CORDON_GUARDIAN_KEY") })
  .strict();

export const keySecretSchema = z.union([
  envSecretSchema,
  z
    .object({
      keystore: z.string().min(1, "the path of an encrypted JSON keystore"),
      passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "the environment variable that holds its password"),
    })
    .strict(),
]);

/** A URL that may carry an API key: inline, or from an environment variable. */
export const urlSchema = z.union([
  z.string().regex(/^(https?|wss?):\/\/\S+$/, "an http(s):// or ws(s):// URL"),
  envSecretSchema,
]);

export const severitySchema = z.enum(SEVERITIES);

/**
 * Reason codes of `CordonTypes.Reasons` (the generated vocabulary) by the short names a config writes; the
 * library's own names (`SECURITY_DRAIN`) are accepted too.
 */
export const REASONS = {
  security: Reasons.CLASS_SECURITY,
  drain: Reasons.SECURITY_DRAIN,
  invariant: Reasons.SECURITY_INVARIANT,
  oracle: Reasons.SECURITY_ORACLE,
  privileged: Reasons.SECURITY_PRIVILEGED,
  "limit-trip": Reasons.SECURITY_LIMIT_TRIP,
  network: Reasons.CLASS_NETWORK,
  "chain-halt": Reasons.NETWORK_HALT,
  "rpc-divergence": Reasons.NETWORK_RPC_DIVERGENCE,
  congestion: Reasons.CLASS_CONGESTION,
  fees: Reasons.CONGESTION_FEES,
  maintenance: Reasons.CLASS_MAINTENANCE,
  planned: Reasons.MAINTENANCE_PLANNED,
  upgrade: Reasons.MAINTENANCE_UPGRADE,
  ...Reasons,
} as const;

/** The hub's scopes: 0 to `SCOPE_COUNT - 1` (`CordonHub.SCOPE_COUNT`, from the generated vocabulary). */
export const LAST_SCOPE = CordonHubConstants.SCOPE_COUNT - 1;
export const scopeSchema = z
  .number()
  .int()
  .min(0, `scopes run from 0 to ${LAST_SCOPE}`)
  .max(
    LAST_SCOPE,
    `the hub has scopes 0 to ${LAST_SCOPE} (CordonHub.SCOPE_COUNT is ${CordonHubConstants.SCOPE_COUNT})`,
  );

export const reasonSchema = z.union([
  z.enum(Object.keys(REASONS) as [keyof typeof REASONS, ...(keyof typeof REASONS)[]]),
  z.number().int().min(1).max(0xffff),
]);
