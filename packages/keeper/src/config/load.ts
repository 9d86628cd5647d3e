/**
 * Loads a keeper config (YAML or JSON), validates it against the schema, checks that every name refers to an entry
 * that exists, and resolves contract names to addresses. Every problem is reported with the file, the line, the path
 * in the file, the value (never a secret's) and what to write instead; all problems are reported at once.
 * Secrets are resolved separately by {@link resolveSecrets}, so `--check` can say which are missing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { getAddress } from "ethers/address";
import { isMap, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";

import { ACTION_KINDS } from "../actions/index.js";
import { ALERT_KINDS } from "../alerts/kinds/index.js";
import { DETECTOR_KINDS } from "../detectors/kinds/index.js";
import type { Response } from "../detectors/types.js";
import { CordonError } from "../errors.js";
import { ActionConfigError, kindOf } from "./kinds.js";
import {
  type ActionConfig,
  type AlertConfig,
  configSchema,
  type DetectorConfig,
  type MempoolConfig,
  type NetworkConfig,
  type RawConfig,
} from "./schema.js";

/** The registry of each config section whose entries are kinds. */
const REGISTRIES: Record<string, readonly { kind: string; schema: { shape: object } }[]> = {
  detectors: DETECTOR_KINDS,
  actions: ACTION_KINDS,
  alerts: ALERT_KINDS,
};

export interface ConfigProblem {
  /** Dotted path in the file, e.g. `detectors.drain.threshold`. */
  path: string;
  line: number | undefined;
  message: string;
}

/** A config file that cannot be used; `problems` lists every issue found. */
export class ConfigError extends CordonError {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the config\n` +
        problems
          .map((p) => `  ${file}${p.line === undefined ? "" : `:${p.line}`} ${p.path || "(top level)"}: ${p.message}`)
          .join("\n"),
    );
  }
}

export interface ResolvedDetector {
  /** `<protocol>/<detector>`: unique across the config, used in findings, logs and metrics. */
  id: string;
  name: string;
  config: DetectorConfig;
  /** The config's contract names and addresses, as checksummed addresses. */
  addresses: Record<string, string>;
  action:
    | (ActionConfig & {
        name: string;
        /** What the responder sends for this action (from its kind, `actions/`). */
        response: Response;
        resolvedTarget?: string;
        reasonCode?: number;
      })
    | undefined;
}

export interface ResolvedProtocol {
  name: string;
  network: string;
  /** The protocol's CordonHub; undefined for a protocol without one (acted on through `call` actions only). */
  hub: string | undefined;
  contracts: Record<string, string>;
  detectors: ResolvedDetector[];
  alerts: (AlertConfig & { name: string })[];
  /** Pending transactions are watched too (undefined: only mined blocks). */
  mempool: MempoolConfig | undefined;
}

export interface ResolvedNetwork extends NetworkConfig {
  name: string;
  protocols: ResolvedProtocol[];
}

export interface KeeperConfig {
  file: string;
  /** Directory relative paths in the file are resolved against. */
  dir: string;
  raw: RawConfig;
  /** Absolute directory of the per-network store files. */
  dataDir: string;
  networks: ResolvedNetwork[];
}

/** The kind of the detector every protocol has for its own hub (added when the protocol lists none). */
const HUB_EVENTS = "hub-events";

/**
 * The detector kinds that need the protocol's CordonHub: the hub's own events, and the invariant detector's built-in
 * answer (the hub's permissionless trip; with an action of its own it needs no hub).
 */
const HUB_DETECTORS = new Set([HUB_EVENTS, "invariant"]);

/** Fields whose values are secrets or may embed one: their values never appear in an error. */
const SECRET_FIELDS = new Set(["keys", "url", "secret", "routingKey"]);

/** Reads and validates `file`; throws {@link ConfigError} listing every problem. */
export function loadConfig(file: string): KeeperConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CordonError(`cannot read the config file ${file}`, {
      details: `${(error as Error).message}. Pass the path of a YAML or JSON file with --config.`,
    });
  }
  return parseConfig(text, file);
}

/** Validates config text (YAML or JSON; JSON is YAML); `file` names it in errors and anchors relative paths. */
export function parseConfig(text: string, file: string): KeeperConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: "",
        line: e.linePos?.[0]?.line,
        message: `not valid YAML or JSON: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  // Amounts like `threshold: 5000e18` are numbers to YAML, and too big for a double: keep what was written.
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === "number" && !Number.isSafeInteger(node.value) && typeof node.source === "string") {
        node.value = node.source;
      }
    },
  });
  const data: unknown = doc.toJS();
  const lineOf = (at: (string | number)[]): number | undefined => {
    for (let n = at.length; n >= 0; n--) {
      const node = doc.getIn(at.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range !== undefined) return lineCounter.linePos(node.range[0]).line;
      const parent = n > 0 ? doc.getIn(at.slice(0, n - 1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === at[n - 1]);
        const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
        if (range !== undefined) return lineCounter.linePos(range[0]).line;
      }
    }
    return undefined;
  };

  const parsed = configSchema.safeParse(data ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({
        path: issue.path.join("."),
        line: lineOf(issue.path as (string | number)[]),
        message: describeIssue(issue, valueAt(data, issue.path as (string | number)[]), issue.path as string[]),
      })),
    );
  }
  return resolve(parsed.data, file, lineOf);
}

function valueAt(data: unknown, at: (string | number)[]): unknown {
  let value = data;
  for (const key of at) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown, at: (string | number)[]): string {
  const secret = at.some((key) => SECRET_FIELDS.has(String(key)));
  if (secret && typeof value === "string" && !/^(https?|wss?):\/\//.test(value)) {
    return (
      "secrets are never written in the config: put the value in an environment variable and write { env: NAME }" +
      (at[0] === "keys" ? ", or give a keystore: { keystore: ./guardian.json, passwordEnv: NAME }" : "")
    );
  }
  if (secret && at[0] !== "networks" && typeof value === "string") {
    return "this URL embeds a secret (a webhook token): put it in an environment variable and write { env: NAME }";
  }
  const shown = secret ? "(value hidden)" : show(value);
  switch (issue.code) {
    case "unrecognized_keys": {
      const kind = (value as { kind?: unknown } | undefined)?.kind;
      const entry = REGISTRIES[String(at[0])]?.find((k) => k.kind === kind);
      if (at.length === 2 && entry !== undefined) {
        const options = Object.keys(entry.schema.shape).filter((k) => k !== "kind");
        return `${issue.keys.map((k) => `"${k}"`).join(", ")} ${issue.keys.length > 1 ? "are not options" : "is not an option"} of kind "${String(kind)}": its options are ${options.join(", ")}`;
      }
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}: remove ${issue.keys.length > 1 ? "them" : "it"} or check the spelling`;
    }
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator !== undefined) {
        return `kind ${shown} is not one of ${(issue as { options?: unknown[] }).options?.map((o) => `"${String(o)}"`).join(", ")}`;
      }
      return `${shown} is not valid: expected ${[...new Set(issue.errors.flat().map((e) => e.message))].join(", or ")}`;
    case "invalid_type":
      if (value === undefined)
        return `missing: ${issue.expected === "object" ? "a section" : `a ${issue.expected}`} is required here`;
      return `${shown} is a ${Array.isArray(value) ? "list" : typeof value}; expected a ${issue.expected}`;
    case "invalid_value":
      return `${shown} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "custom":
      return issue.message;
    default:
      return `${shown}: ${issue.message}`;
  }
}

function resolve(raw: RawConfig, file: string, lineOf: (at: (string | number)[]) => number | undefined): KeeperConfig {
  const problems: ConfigProblem[] = [];
  const problem = (at: (string | number)[], message: string) =>
    problems.push({ path: at.join("."), line: lineOf(at), message });
  const known = (section: string, names: object) =>
    Object.keys(names).length === 0 ? `\`${section}\` is empty` : `known: ${Object.keys(names).join(", ")}`;

  for (const [name, network] of Object.entries(raw.networks)) {
    const names = network.endpoints.map((e) => e.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined)
      problem(["networks", name, "endpoints"], `endpoint name "${dup}" is used twice: names must be unique`);
    if (network.quorum !== undefined && network.quorum > network.endpoints.length) {
      problem(
        ["networks", name, "quorum"],
        `${network.quorum} is more than the ${network.endpoints.length} endpoints configured: lower it or add endpoints`,
      );
    }
  }

  // What the schema cannot see: a kind's own checks (a condition type-checked against its ABI), once per entry.
  const configDir = path.dirname(path.resolve(file));
  for (const [dname, entry] of Object.entries(raw.detectors)) {
    const validate = kindOf(DETECTOR_KINDS, entry.kind).validate as
      ((c: unknown, ctx: { configDir: string }) => { path: (string | number)[]; message: string }[]) | undefined;
    for (const p of validate?.(entry, { configDir }) ?? []) problem(["detectors", dname, ...p.path], p.message);
  }

  const networks = new Map<string, ResolvedNetwork>(
    Object.entries(raw.networks).map(([name, n]) => [name, { ...n, name, protocols: [] }]),
  );

  for (const [pname, protocol] of Object.entries(raw.protocols)) {
    const network = networks.get(protocol.network);
    if (network === undefined) {
      problem(
        ["protocols", pname, "network"],
        `"${protocol.network}" is not in \`networks\` (${known("networks", raw.networks)})`,
      );
    }
    const contracts = Object.fromEntries(Object.entries(protocol.contracts).map(([k, v]) => [k, getAddress(v)]));
    const addressOf = (value: string, at: (string | number)[]): string | undefined => {
      if (value.startsWith("0x")) return getAddress(value);
      const found = contracts[value];
      if (found === undefined) {
        problem(
          at,
          `"${value}" is neither an address nor a name in protocols.${pname}.contracts (${known("contracts", contracts)})`,
        );
      }
      return found;
    };

    const detectors: ResolvedDetector[] = [];
    protocol.detectors.forEach((dname, i) => {
      const config = raw.detectors[dname];
      if (config === undefined) {
        problem(
          ["protocols", pname, "detectors", i],
          `"${dname}" is not in \`detectors\` (${known("detectors", raw.detectors)})`,
        );
        return;
      }
      // The kind's address fields: a single address or name, or a list of them (`contracts.0`, ...).
      const addressesOf = (entry: object, fields: readonly string[], at: (string | number)[]) => {
        const out: Record<string, string> = {};
        for (const field of fields) {
          // A dotted field (`done.contract`) is an option of a nested object.
          const value = field
            .split(".")
            .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], entry);
          const list = Array.isArray(value) ? value : [value];
          list.forEach((item, j) => {
            if (typeof item !== "string") return;
            const key = Array.isArray(value) ? `${field}.${j}` : field;
            const path = [...at, ...field.split(".")];
            const resolved = addressOf(item, Array.isArray(value) ? [...path, j] : path);
            if (resolved !== undefined) out[key] = resolved;
          });
        }
        return out;
      };
      const addresses = addressesOf(config, kindOf(DETECTOR_KINDS, config.kind).addresses, ["detectors", dname]);
      let action: ResolvedDetector["action"];
      if (config.action !== undefined) {
        const a = raw.actions[config.action];
        if (a === undefined) {
          problem(
            ["detectors", dname, "action"],
            `"${config.action}" is not in \`actions\` (${known("actions", raw.actions)})`,
          );
        } else {
          if (raw.keys[a.key] === undefined) {
            problem(["actions", config.action, "key"], `"${a.key}" is not in \`keys\` (${known("keys", raw.keys)})`);
          }
          const kind = kindOf(ACTION_KINDS, a.kind);
          if (kind.onHub && protocol.hub === undefined) {
            problem(
              ["actions", config.action, "kind"],
              `kind ${a.kind} acts on the protocol's CordonHub, and protocols.${pname}.hub is not set (detector ${dname} of protocol ${pname} names this action): set protocols.${pname}.hub, or use an action of kind call`,
            );
          } else {
            const actionAddresses = addressesOf(a, kind.addresses, ["actions", config.action]);
            try {
              const response = kind.response(a as never, actionAddresses, contracts);
              action = { ...a, name: config.action, response };
              if (actionAddresses.target !== undefined) action.resolvedTarget = actionAddresses.target;
              if (response.kind === "pause" || response.kind === "pauseScopes") action.reasonCode = response.reason;
            } catch (error) {
              if (!(error instanceof ActionConfigError)) throw error;
              problem(["actions", config.action, ...error.at], error.message);
            }
          }
        }
      }
      if (
        protocol.hub === undefined &&
        HUB_DETECTORS.has(config.kind) &&
        !(config.kind === "invariant" && action !== undefined)
      ) {
        problem(
          ["protocols", pname, "detectors", i],
          config.kind === HUB_EVENTS
            ? `detector ${dname} (kind ${HUB_EVENTS}) watches the protocol's CordonHub, and protocols.${pname}.hub is not set: set protocols.${pname}.hub, or remove ${dname} from the list`
            : `detector ${dname} (kind ${config.kind}) answers with the CordonHub's permissionless trip, and protocols.${pname}.hub is not set: give ${dname} an action of kind call, or set protocols.${pname}.hub`,
        );
      }
      detectors.push({ id: `${pname}/${dname}`, name: dname, config, addresses, action });
    });

    // Every protocol watches its own hub: one `hub-events` detector with the defaults (alerts, no action) unless the
    // protocol lists one of its own. A protocol without a hub has none to watch.
    if (protocol.hub !== undefined && !detectors.some((d) => d.config.kind === HUB_EVENTS)) {
      const taken = protocol.detectors.indexOf(HUB_EVENTS);
      if (taken !== -1) {
        problem(
          ["protocols", pname, "detectors", taken],
          `"${HUB_EVENTS}" names the hub's own detector, which every protocol has: give this detector another name, or make it kind ${HUB_EVENTS}`,
        );
      }
      detectors.push({
        id: `${pname}/${HUB_EVENTS}`,
        name: HUB_EVENTS,
        config: kindOf(DETECTOR_KINDS, HUB_EVENTS).schema.parse({ kind: HUB_EVENTS }) as DetectorConfig,
        addresses: {},
        action: undefined,
      });
    }

    const alerts = protocol.alerts.flatMap((aname, i) => {
      const alert = raw.alerts[aname];
      if (alert === undefined) {
        problem(["protocols", pname, "alerts", i], `"${aname}" is not in \`alerts\` (${known("alerts", raw.alerts)})`);
        return [];
      }
      return [{ ...alert, name: aname }];
    });

    network?.protocols.push({
      name: pname,
      network: protocol.network,
      hub: protocol.hub === undefined ? undefined : getAddress(protocol.hub),
      contracts,
      detectors,
      alerts,
      mempool: protocol.mempool,
    });
  }

  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    file,
    dir: configDir,
    raw,
    dataDir: path.resolve(configDir, raw.dataDir),
    networks: [...networks.values()].filter((n) => n.protocols.length > 0),
  };
}
