/**
 * The keeper's config file, as a zod schema: networks, keys, protocols, detectors, actions and alert channels, each
 * a map of named entries that refer to each other by name. Secrets (keys, webhook URLs, API keys in RPC URLs) are
 * never written inline: a secret is `{ env: NAME }` or, for keys, `{ keystore: path, passwordEnv: NAME }`.
 *
 * The schema checks each value on its own; `load.ts` then checks the references between entries and resolves them.
 */
import { z } from "zod";

import { CordonHubConstants, Reasons } from "../contracts/generated/cordon.js";

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

export const severitySchema = z.enum(["info", "low", "medium", "high", "critical"]);

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

const networkSchema = z
  .object({
    chainId: z.number().int().positive(),
    endpoints: z
      .array(z.object({ name: nameSchema, url: urlSchema, timeoutMs: z.number().int().positive().optional() }).strict())
      .min(1, "at least one endpoint; three or more let a quorum outvote a lying node"),
    quorum: z.number().int().positive().optional(),
    maxLagBlocks: z.number().int().nonnegative().optional(),
    pollIntervalMs: z.number().int().min(50).optional(),
    maxLogRange: z.number().int().positive().optional(),
    /** Where to start when the store has no cursor: a block number, or "latest". */
    startBlock: z.union([z.number().int().nonnegative(), z.literal("latest")]).default("latest"),
  })
  .strict();

const protocolSchema = z
  .object({
    network: nameSchema,
    hub: z.string().regex(ADDRESS, "the CordonHub address (0x and 40 hex digits)"),
    /** Named addresses detectors refer to (tokens, vaults, feeds, ...). */
    contracts: z.record(nameSchema, z.string().regex(ADDRESS, "an address (0x and 40 hex digits)")).default({}),
    detectors: z.array(nameSchema).min(1, "at least one detector name from `detectors`"),
    alerts: z.array(nameSchema).default([]),
  })
  .strict();

const common = {
  severity: severitySchema.optional(),
  /** An entry of `actions`: what to do when this detector's finding is at or above `respondAt`. */
  action: nameSchema.optional(),
};

export const detectorSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("large-transfer"),
      token: addressOrNameSchema,
      from: addressOrNameSchema,
      threshold: amountSchema,
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal("outflow-volume"),
      token: addressOrNameSchema,
      from: addressOrNameSchema,
      windowBlocks: z.number().int().positive(),
      threshold: amountSchema,
      ...common,
    })
    .strict(),
  z.object({ kind: z.literal("invariant"), target: addressOrNameSchema, ...common }).strict(),
  z
    .object({
      kind: z.literal("tvl-drop"),
      token: addressOrNameSchema,
      holder: addressOrNameSchema,
      windowBlocks: z.number().int().positive(),
      dropPercent: z.number().gt(0).max(100),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal("oracle-deviation"),
      feed: addressOrNameSchema,
      reference: addressOrNameSchema,
      maxDeviationBps: z.number().int().positive(),
      maxAgeSeconds: z.number().int().positive().optional(),
      ...common,
    })
    .strict(),
  z
    .object({ kind: z.literal("privileged-events"), contracts: z.array(addressOrNameSchema).min(1), ...common })
    .strict(),
  z.object({ kind: z.literal("chain-halt"), maxSilenceSeconds: z.number().positive(), ...common }).strict(),
  z.object({ kind: z.literal("rpc-divergence"), ...common }).strict(),
  z
    .object({
      kind: z.literal("module"),
      /** A TypeScript/JavaScript module (relative to the config file) whose default export makes the detector. */
      module: z.string().min(1),
      options: z.record(z.string(), z.unknown()).default({}),
      ...common,
    })
    .strict(),
]);

const actionCommon = {
  /** An entry of `keys`: the pause-only guardian key that sends the transaction. */
  key: nameSchema,
  /** Fee ceiling (maxFeePerGas, gwei) for ordinary findings. */
  feeCeilingGwei: z.number().positive().default(200),
  /** Fee ceiling for critical findings: emergencies may pay more. */
  emergencyFeeCeilingGwei: z.number().positive().default(2000),
};

export const actionSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("pause"), reason: reasonSchema.default("security"), ...actionCommon }).strict(),
  z
    .object({
      kind: z.literal("pause-scopes"),
      scopes: z.array(scopeSchema).min(1, `at least one scope number (0 to ${LAST_SCOPE})`),
      reason: reasonSchema.default("security"),
      ...actionCommon,
    })
    .strict(),
  z.object({ kind: z.literal("trip-invariant"), target: addressOrNameSchema, ...actionCommon }).strict(),
]);

export const alertSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("slack"), url: envSecretSchema, minSeverity: severitySchema.optional() }).strict(),
  z.object({ kind: z.literal("discord"), url: envSecretSchema, minSeverity: severitySchema.optional() }).strict(),
  z
    .object({
      kind: z.literal("pagerduty"),
      routingKey: envSecretSchema,
      url: z.string().url().optional(),
      minSeverity: severitySchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("webhook"),
      url: urlSchema,
      secret: envSecretSchema,
      minSeverity: severitySchema.optional(),
    })
    .strict(),
]);

export const configSchema = z
  .object({
    /** Directory of the embedded store (relative to the config file): one SQLite file per network, `<network>.db`. */
    dataDir: z.string().min(1).default("cordon-data"),
    networks: z.record(nameSchema, networkSchema),
    keys: z.record(nameSchema, keySecretSchema).default({}),
    protocols: z.record(nameSchema, protocolSchema),
    detectors: z.record(nameSchema, detectorSchema),
    actions: z.record(nameSchema, actionSchema).default({}),
    alerts: z.record(nameSchema, alertSchema).default({}),
    /** Findings at or above this severity get their action. */
    respondAt: severitySchema.default("high"),
    alertAt: severitySchema.default("medium"),
    /** Alerts beyond this many per minute per channel are summarized into one message. */
    alertsPerMinute: z.number().int().positive().default(10),
    metrics: z
      .object({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(9464) })
      .strict()
      .optional(),
    log: z
      .object({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type DetectorConfig = z.infer<typeof detectorSchema>;
export type ActionConfig = z.infer<typeof actionSchema>;
export type AlertConfig = z.infer<typeof alertSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type ProtocolConfig = z.infer<typeof protocolSchema>;
export type EnvSecret = z.infer<typeof envSecretSchema>;
export type KeySecret = z.infer<typeof keySecretSchema>;
