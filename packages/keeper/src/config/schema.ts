/**
 * The keeper's config file, as a zod schema: networks, keys, protocols, detectors, actions and alert channels, each
 * a map of named entries that refer to each other by name. Secrets (keys, webhook URLs, API keys in RPC URLs) are
 * never written inline: a secret is `{ env: NAME }` or, for keys, `{ keystore: path, passwordEnv: NAME }`.
 *
 * The schema checks each value on its own; `load.ts` then checks the references between entries and resolves them.
 */
import { z } from "zod";

import { ACTION_KINDS } from "../actions/index.js";
import { ALERT_KINDS } from "../alerts/kinds/index.js";
import { DETECTOR_KINDS } from "../detectors/kinds/index.js";
import { type KindSchemas, kindUnion } from "./kinds.js";
import { envSecretSchema, keySecretSchema, nameSchema, severitySchema, urlSchema } from "./primitives.js";

export * from "./primitives.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

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
    /**
     * The protocol's CordonHub. Optional: a protocol without one is acted on only through actions of kind `call`,
     * and has no `hub-events` detector.
     */
    hub: z.string().regex(ADDRESS, "the CordonHub address (0x and 40 hex digits)").optional(),
    /** Named addresses detectors refer to (tokens, vaults, feeds, ...). */
    contracts: z.record(nameSchema, z.string().regex(ADDRESS, "an address (0x and 40 hex digits)")).default({}),
    detectors: z.array(nameSchema).min(1, "at least one detector name from `detectors`"),
    alerts: z.array(nameSchema).default([]),
    /**
     * Watch pending transactions too (see `mempool/`): each one that reaches the protocol is simulated by a quorum of
     * traces, judged by the protocol's detectors, and a finding severe enough acts before the transaction is mined,
     * with fees that order its pause first. The rule against lures that never land: only findings at or above
     * `minSeverity` act from the mempool, at most `maxActionsPerHour` of them an hour; the rest wait for the block.
     */
    mempool: z
      .object({
        minSeverity: severitySchema.default("critical"),
        maxActionsPerHour: z.number().int().min(0).default(1),
        /** How often endpoints without a `newPendingTransactions` subscription are polled. */
        pollIntervalMs: z.number().int().min(20).default(250),
        /** Simulations at a time. */
        concurrency: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Each detector kind's schema, from the registry (`detectors/kinds/`): one strict object per kind. */
export const detectorSchema = kindUnion(DETECTOR_KINDS) as unknown as z.ZodDiscriminatedUnion<
  KindSchemas<typeof DETECTOR_KINDS>
>;

/** Each action kind's schema, from the registry (`actions/`). */
export const actionSchema = kindUnion(ACTION_KINDS) as unknown as z.ZodDiscriminatedUnion<
  KindSchemas<typeof ACTION_KINDS>
>;

/** Each alert channel kind's schema, from the registry (`alerts/kinds/`): an option a kind lacks is refused. */
export const alertSchema = kindUnion(ALERT_KINDS) as unknown as z.ZodDiscriminatedUnion<
  KindSchemas<typeof ALERT_KINDS>
>;

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
export type MempoolConfig = NonNullable<ProtocolConfig["mempool"]>;
export type EnvSecret = z.infer<typeof envSecretSchema>;
export type KeySecret = z.infer<typeof keySecretSchema>;
