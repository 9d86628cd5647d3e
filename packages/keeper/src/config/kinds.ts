/**
 * The plug-in shape of the keeper config's extension points. A kind of detector, action or alert channel is one
 * object, declared in one file the way a Hardhat plugin declares itself: its `kind` name, its `docs`, the zod shape
 * of its `options`, and how it is built. The registries (`detectors/kinds/index.ts`, `actions/index.ts`,
 * `alerts/kinds/index.ts`) list them; the config schema, the reference checks and the builders are derived from
 * them, so a kind's options are refused on any other kind (every kind's schema is a strict object).
 */
import { z } from "zod";

import type { AlertSink } from "../alerts/alert.js";
import type { CordonHubConstants } from "../contracts/generated/cordon.js";
import type { Detector, Response } from "../detectors/types.js";
import { nameSchema, severitySchema } from "./primitives.js";

/** The fields every detector kind takes besides its own options. */
export const detectorCommon = {
  /** Overrides the severity of the detector's findings. */
  severity: severitySchema.optional(),
  /** An entry of `actions`: what to do when this detector's finding is at or above `respondAt`. */
  action: nameSchema.optional(),
};

/** The fields every action kind takes. */
export const actionCommon = {
  /** An entry of `keys`: the key that sends the transaction (the hub's pause-only guardian, or the role a target grants). */
  key: nameSchema,
  /** Fee ceiling (maxFeePerGas, gwei) for ordinary findings. Default 200. */
  feeCeilingGwei: z.number().positive().default(200),
  /** Fee ceiling for critical findings: emergencies may pay more. Default 2000. */
  emergencyFeeCeilingGwei: z.number().positive().default(2000),
};

/** The fields every alert channel kind takes. */
export const alertCommon = {
  /** Alerts below this severity are not sent to this channel (the config's `alertAt` applies to all channels). */
  minSeverity: severitySchema.optional(),
};

type KindObject<K extends string, C extends z.ZodRawShape, S extends z.ZodRawShape> = z.ZodObject<
  { kind: z.ZodLiteral<K> } & C & S,
  z.core.$strict
>;

function kindObject<K extends string, C extends z.ZodRawShape, S extends z.ZodRawShape>(
  kind: K,
  common: C,
  options: S,
): KindObject<K, C, S> {
  return z.object({ kind: z.literal(kind), ...common, ...options }).strict() as unknown as KindObject<K, C, S>;
}

/** What a detector kind's `build` receives besides its config entry. */
export interface DetectorBuildContext {
  /** `<protocol>/<detector>`: the detector's name in findings, logs and metrics. */
  id: string;
  /** The entry's name under `detectors`. */
  name: string;
  protocol: {
    name: string;
    /** The protocol's CordonHub; undefined when it has none (the config refuses hub detectors then). */
    hub: string | undefined;
    contracts: Record<string, string>;
    /** The protocol's detectors, as resolved from the config (a kind may defer to another kind watching the same contract). */
    detectors?: readonly { config: { kind: string }; addresses: Record<string, string> }[];
  };
  /** The kind's address fields, resolved: `token`, `from`, ... and `contracts.0`, ... for lists. */
  addresses: Record<string, string>;
  /** The response the entry's `action` asks for (undefined without one). */
  response: Response | undefined;
  /** Whether the entry names an `action`. */
  hasAction: boolean;
  /** The config file's directory: relative paths in options are resolved against it. */
  configDir: string;
  /** The addresses of the config's keys (the keeper's own accounts); empty when the keys are not loaded. */
  keepers: string[];
}

export interface DetectorKind<K extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  readonly kind: K;
  /** One paragraph for the docs and `--help`: what it sees and where it reads it from. */
  readonly docs: string;
  readonly schema: KindObject<K, typeof detectorCommon, S>;
  /** Option fields that name contracts (an address or a name in the protocol's `contracts`, or a list of them). */
  readonly addresses: readonly string[];
  /**
   * Checks that need more than the schema (a condition type-checked against an ABI read from a file): run when the
   * config loads, once per entry. Each problem's `path` is relative to the entry (`["condition"]`); the loader adds
   * the file, the line and the entry's path.
   */
  readonly validate?: (
    config: z.output<KindObject<K, typeof detectorCommon, S>>,
    context: { configDir: string },
  ) => { path: (string | number)[]; message: string }[];
  build(
    config: z.output<KindObject<K, typeof detectorCommon, S>>,
    context: DetectorBuildContext,
  ): Detector | Promise<Detector>;
}

export function defineDetectorKind<const K extends string, S extends z.ZodRawShape>(definition: {
  kind: K;
  docs: string;
  options: S;
  addresses?: readonly (keyof S & string)[];
  validate?: DetectorKind<K, S>["validate"];
  build: DetectorKind<K, S>["build"];
}): DetectorKind<K, S> {
  return {
    kind: definition.kind,
    docs: definition.docs,
    schema: kindObject(definition.kind, detectorCommon, definition.options),
    addresses: definition.addresses ?? [],
    ...(definition.validate === undefined ? {} : { validate: definition.validate }),
    build: definition.build,
  };
}

/** A role of the hub, by its constant's name in the generated vocabulary (`CordonHubConstants`). */
export type HubRole = Extract<keyof typeof CordonHubConstants, `${string}_ROLE`>;

/**
 * What an action's key must hold for its transaction to go through: a role of the hub (by name), null for a call
 * anyone may make, or, for an action on a contract Cordon did not write, a function of the entry that describes what
 * that contract requires in words (`EMERGENCY_ADMIN on Aave's ACLManager`), or null when the entry does not say.
 * `--check` reads a hub role on the chain; a description is printed, and the call simulated from the key.
 */
export type ActionRole<C> = HubRole | null | ((config: C) => string | null);

export interface ActionKind<K extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  readonly kind: K;
  readonly docs: string;
  readonly schema: KindObject<K, typeof actionCommon, S>;
  readonly addresses: readonly string[];
  /** The role the action's key needs ({@link ActionRole}). `--check` reads a hub role on the chain for every key. */
  readonly role: ActionRole<z.output<KindObject<K, typeof actionCommon, S>>>;
  /** Whether the action sends its transaction to the protocol's CordonHub (refused for a protocol without `hub`). */
  readonly onHub: boolean;
  /**
   * The response the responder sends for a finding this action answers, from the entry, its address fields resolved
   * and the protocol's named `contracts`. Throws {@link ActionConfigError} for a value it cannot use.
   */
  response(
    config: z.output<KindObject<K, typeof actionCommon, S>>,
    addresses: Record<string, string>,
    contracts: Record<string, string>,
  ): Response;
}

/** A value of an action entry its kind cannot use: `at` is the path below the entry (`["args", 0]`). */
export class ActionConfigError extends Error {
  constructor(
    readonly at: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

export function defineActionKind<const K extends string, S extends z.ZodRawShape>(definition: {
  kind: K;
  docs: string;
  options: S;
  addresses?: readonly string[];
  /** Required: every kind says which role its key needs, or null (none). */
  role: ActionKind<K, S>["role"];
  /** Default true: the hub's actions. */
  onHub?: boolean;
  response: ActionKind<K, S>["response"];
}): ActionKind<K, S> {
  return {
    kind: definition.kind,
    docs: definition.docs,
    schema: kindObject(definition.kind, actionCommon, definition.options),
    addresses: definition.addresses ?? [],
    role: definition.role,
    onHub: definition.onHub ?? true,
    response: definition.response,
  };
}

export interface AlertKind<K extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  readonly kind: K;
  readonly docs: string;
  readonly schema: KindObject<K, typeof alertCommon, S>;
  /** Option fields holding secrets (`{ env: NAME }`, or an inline URL where the schema allows one). */
  readonly secrets: readonly string[];
  /** The sink, given the entry's name and its resolved secrets; `minSeverity` is applied by the keeper for every kind. */
  build(
    config: z.output<KindObject<K, typeof alertCommon, S>>,
    context: { name: string; secrets: Record<string, string> },
  ): AlertSink;
}

export function defineAlertKind<const K extends string, S extends z.ZodRawShape>(definition: {
  kind: K;
  docs: string;
  options: S;
  secrets: readonly (keyof S & string)[];
  build: AlertKind<K, S>["build"];
}): AlertKind<K, S> {
  return {
    kind: definition.kind,
    docs: definition.docs,
    schema: kindObject(definition.kind, alertCommon, definition.options),
    secrets: definition.secrets,
    build: definition.build,
  };
}

/** The schemas of a registry's kinds, as the tuple `z.discriminatedUnion` takes. */
export type KindSchemas<T extends readonly { schema: z.ZodObject }[]> = {
  -readonly [I in keyof T]: T[I]["schema"];
} & [z.ZodObject, ...z.ZodObject[]];

/** One schema for a registry: the union of its kinds' strict objects, told apart by `kind`. */
export function kindUnion(kinds: readonly { kind: string; schema: z.ZodObject }[]) {
  const schemas = kinds.map((k) => k.schema);
  const names = kinds.map((k) => k.kind);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`two kinds are named "${duplicate}"`);
  return z.discriminatedUnion("kind", schemas as [z.ZodObject, ...z.ZodObject[]]);
}

/** A registry's kind by name. */
export function kindOf<T extends { kind: string }>(kinds: readonly T[], kind: string): T {
  const found = kinds.find((k) => k.kind === kind);
  if (found === undefined) throw new Error(`no kind "${kind}" in the registry`);
  return found;
}
