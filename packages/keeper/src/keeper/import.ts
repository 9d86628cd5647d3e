/**
 * `cordon watch import <dir>`: an OpenZeppelin Monitor configuration directory (`networks/*.json`,
 * `monitors/*.json`, `triggers/*.json`) as a keeper config. Each EVM network becomes a `networks` entry (its RPC URLs,
 * environment references kept as `{ env: NAME }`), each monitor a protocol per network, its `match_conditions`
 * events `event` detectors and its functions a `calls` detector, their expressions translated to CEL and
 * type-checked against the monitor's ABI (written to `abis/` beside the config), and its Slack, Discord and webhook
 * triggers alert channels. Whatever has no equivalent is named, with why, in the output and at the top of the file;
 * nothing is dropped silently. Inline secrets (a Slack URL written in a trigger) are never copied: the config names
 * an environment variable to put them in.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { getAddress, Interface, type InterfaceAbi } from "ethers";
import { stringify } from "yaml";

import { eventFragment, functionFragment } from "../detectors/abi-spec.js";
import { callConditionNames } from "../detectors/calls.js";
import { eventConditionNames } from "../detectors/event.js";
import { compileCondition, type ConditionNames } from "../detectors/expression.js";
import { CordonError } from "../errors.js";

export const IMPORT_USAGE = `Writes a keeper config from an OpenZeppelin Monitor configuration directory (networks/, monitors/ and
triggers/, each of JSON files), and names each thing it could not translate.

  networks/*.json    EVM networks: chain_id and rpc_urls (environment references kept as { env: NAME })
  monitors/*.json    one protocol per monitor and network: match_conditions.events become \`event\` detectors,
                     match_conditions.functions a \`calls\` detector, expressions translated to CEL and checked
                     against the monitor's ABI (written to abis/ beside the config)
  triggers/*.json    slack, discord and webhook triggers become alert channels (inline secrets are not copied:
                     the config names an environment variable for each)

Options:
  <dir>              the OpenZeppelin Monitor config directory (the one holding networks/, monitors/, triggers/)
  --out <file>       the keeper config to write (default keeper.yml); ABIs go to abis/ beside it
  --hub <address>    the CordonHub of the imported protocols (without it they have none: alerts, and call actions)
  --force            overwrite the file if it exists

Example:
  npx hardhat cordon watch import ./oz-monitor/config --out keeper.yml --hub 0x5FbDB2315678afecb367f032d93F642f64180aa3
  npx hardhat cordon watch keeper.yml --check`;

interface OzSecret {
  type?: string;
  value?: string;
}

interface OzNetwork {
  network_type?: string;
  slug?: string;
  name?: string;
  chain_id?: number;
  rpc_urls?: { type_?: string; url?: OzSecret | string }[];
  [field: string]: unknown;
}

interface OzCondition {
  signature?: string;
  expression?: string | null;
}

interface OzMonitor {
  name?: string;
  paused?: boolean;
  networks?: string[];
  addresses?: { address?: string; contract_spec?: unknown; abi?: unknown }[];
  match_conditions?: {
    events?: OzCondition[];
    functions?: OzCondition[];
    transactions?: { status?: string; expression?: string | null }[];
  };
  triggers?: string[];
  trigger_conditions?: unknown[];
}

interface OzTrigger {
  name?: string;
  trigger_type?: string;
  config?: Record<string, unknown>;
}

export interface ImportResult {
  /** The keeper config, as YAML (with the untranslated items as comments at the top). */
  yaml: string;
  /** ABI files to write beside it: path relative to the config, and the fragments. */
  abis: Record<string, unknown[]>;
  /** What could not be translated, each with where it was and why. */
  untranslated: string[];
  /** Environment variables the config needs, with what to put in each. */
  env: Record<string, string>;
}

/** A config name (`[a-zA-Z][a-zA-Z0-9_.-]*`) from a free-form one. */
function slug(text: string): string {
  const cleaned = text.replace(/[^a-zA-Z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "");
  return /^[a-zA-Z]/.test(cleaned) ? cleaned : `m-${cleaned || "unnamed"}`;
}

function envName(text: string): string {
  return text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

function readJsonDir(dir: string, untranslated: string[]): [string, unknown][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f): [string, unknown][] => {
      const file = path.join(dir, f);
      try {
        return [[`${path.basename(dir)}/${f}`, JSON.parse(readFileSync(file, "utf8"))]];
      } catch (error) {
        untranslated.push(`${path.basename(dir)}/${f}: not JSON (${(error as Error).message.split("\n")[0]}); skipped`);
        return [];
      }
    });
}

const UINT63 = 1n << 63n;

/**
 * An OpenZeppelin Monitor expression as CEL: `AND`/`OR`/`NOT` as `&&`/`||`/`!`, bare addresses quoted, hex numbers
 * and numbers beyond 63 bits as exact `uint256("...")`. Returns the CEL or why it cannot be translated (the result is
 * type-checked against `names`).
 */
export function translateExpression(expression: string, names: ConditionNames): { cel: string } | { error: string } {
  const parts = expression.split(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/);
  const out = parts.map((part, i) => {
    if (i % 2 === 1) return part; // a quoted string
    return part
      .replace(/\bAND\b/gi, "&&")
      .replace(/\bOR\b/gi, "||")
      .replace(/\bNOT\b/gi, "!")
      .replace(/\b0x[0-9a-fA-F]{40}\b/g, (a) => `"${a}"`)
      .replace(/(?<!["\w])0x[0-9a-fA-F]+\b/g, (h) => `uint256("${BigInt(h).toString()}")`)
      .replace(/(?<![\w."(])\d{19,}\b/g, (d) => (BigInt(d) >= UINT63 ? `uint256("${d}")` : d));
  });
  const cel = out.join("");
  const unsupported = /\b(contains|starts_with|ends_with)\b/.exec(cel);
  if (unsupported !== null) return { error: `\`${unsupported[1]}\` has no translation yet` };
  try {
    compileCondition(cel, names);
  } catch (error) {
    return { error: `${(error as Error).message} (translated: \`${cel}\`)` };
  }
  return { cel };
}

/** The Monitor directory `dir` as a keeper config. */
export function importOzMonitor(dir: string, options: { hub?: string } = {}): ImportResult {
  if (!existsSync(path.join(dir, "monitors")) && !existsSync(path.join(dir, "networks"))) {
    throw new CordonError(`${dir} is not an OpenZeppelin Monitor config directory: it has no monitors/ or networks/`, {
      details: "pass the directory that holds networks/, monitors/ and triggers/ (OpenZeppelin Monitor's config/)",
    });
  }
  const untranslated: string[] = [];
  const env: Record<string, string> = {};
  const abis: Record<string, unknown[]> = {};
  // OpenZeppelin Monitor has no circuit breaker: without --hub the protocols have none (a protocol without a hub is
  // watched and alerted on, and may act with `call` actions); with it, the hub's events and actions come too.
  const hub = options.hub === undefined ? undefined : getAddress(options.hub);

  // Networks.
  const networks: Record<string, unknown> = {};
  for (const [file, raw] of readJsonDir(path.join(dir, "networks"), untranslated)) {
    const n = raw as OzNetwork;
    const name = slug(n.slug ?? path.basename(file, ".json")).toLowerCase();
    if (n.network_type !== "EVM") {
      untranslated.push(`${file}: network type ${n.network_type ?? "(none)"} is not an EVM chain; skipped`);
      continue;
    }
    const endpoints = (n.rpc_urls ?? []).flatMap((r, i): { name: string; url: string | { env: string } }[] => {
      const url = typeof r.url === "string" ? { type: "plain", value: r.url } : (r.url ?? {});
      const endpoint = `${name}-${i + 1}`;
      const type = (url.type ?? "plain").toLowerCase();
      if (type === "environment" && url.value !== undefined) {
        env[url.value] = `${n.name ?? name} RPC URL (${file})`;
        return [{ name: endpoint, url: { env: url.value } }];
      }
      if (type === "plain" && url.value !== undefined && /^(https?|wss?):\/\/\S+$/.test(url.value)) {
        return [{ name: endpoint, url: url.value }];
      }
      const variable = envName(`${name}_RPC_${i + 1}`);
      env[variable] = `${n.name ?? name} RPC URL (${file}, was ${url.type ?? "unknown"}; not copied)`;
      untranslated.push(`${file}: rpc_urls.${i} (${url.type ?? "unknown"} secret): put the URL in ${variable}`);
      return [{ name: endpoint, url: { env: variable } }];
    });
    if (endpoints.length === 0) {
      untranslated.push(`${file}: no rpc_urls; skipped`);
      continue;
    }
    const ignored = ["confirmation_blocks", "cron_schedule", "max_past_blocks", "store_blocks", "block_time_ms"].filter(
      (k) => n[k] !== undefined,
    );
    if (ignored.length > 0) {
      untranslated.push(
        `${file}: ${ignored.join(", ")} not translated: the keeper follows each head a quorum of endpoints agrees on, and retracts the findings of reorged blocks`,
      );
    }
    networks[name] = { chainId: n.chain_id, endpoints };
  }

  // Triggers.
  const alerts: Record<string, unknown> = {};
  const secretOf = (id: string, field: string, file: string, value: unknown): { env: string } => {
    const secret = (typeof value === "string" ? { type: "plain", value } : (value ?? {})) as OzSecret;
    if ((secret.type ?? "").toLowerCase() === "environment" && secret.value !== undefined) {
      env[secret.value] = `${field} of trigger ${id} (${file})`;
      return { env: secret.value };
    }
    const variable = envName(`${id}_${field}`);
    env[variable] =
      `${field} of trigger ${id} (${file}; it was ${secret.value === undefined ? "missing" : "inline, and is not copied"})`;
    return { env: variable };
  };
  for (const [file, raw] of readJsonDir(path.join(dir, "triggers"), untranslated)) {
    for (const [id, t] of Object.entries(raw as Record<string, OzTrigger>)) {
      const name = slug(id);
      const config = t.config ?? {};
      switch (t.trigger_type) {
        case "slack":
          alerts[name] = { kind: "slack", url: secretOf(id, "slack_url", file, config.slack_url) };
          break;
        case "discord":
          alerts[name] = { kind: "discord", url: secretOf(id, "discord_url", file, config.discord_url) };
          break;
        case "webhook":
          alerts[name] = {
            kind: "webhook",
            url: secretOf(id, "url", file, config.url),
            secret: secretOf(id, "secret", file, config.secret),
          };
          if (config.headers !== undefined || (config.method !== undefined && config.method !== "POST")) {
            untranslated.push(`${file}: ${id}: method and headers not translated (the keeper POSTs signed JSON)`);
          }
          break;
        default:
          untranslated.push(
            `${file}: ${id}: trigger type ${t.trigger_type ?? "(none)"} has no alert channel here; skipped`,
          );
          continue;
      }
      if (config.message !== undefined) {
        untranslated.push(
          `${file}: ${id}: message template not translated (alerts carry the finding's summary and data)`,
        );
      }
    }
  }

  // Monitors.
  const protocols: Record<string, unknown> = {};
  const detectors: Record<string, unknown> = {};
  const unique = (name: string) => {
    let candidate = name;
    for (let i = 2; detectors[candidate] !== undefined; i++) candidate = `${name}-${i}`;
    return candidate;
  };
  for (const [file, raw] of readJsonDir(path.join(dir, "monitors"), untranslated)) {
    const m = raw as OzMonitor;
    const base = slug(m.name ?? path.basename(file, ".json")).toLowerCase();
    if (m.paused === true) {
      untranslated.push(`${file}: "${m.name}" is paused; skipped`);
      continue;
    }
    const contracts: Record<string, string> = {};
    const names: string[] = [];
    const addressAbis: (Interface | undefined)[] = [];
    (m.addresses ?? []).forEach((a, i) => {
      const contract = `contract${i + 1}`;
      try {
        contracts[contract] = getAddress(a.address ?? "");
      } catch {
        untranslated.push(`${file}: addresses.${i}: "${a.address}" is not an EVM address; skipped`);
        return;
      }
      names.push(contract);
      const spec = (a.contract_spec ?? a.abi) as unknown;
      if (Array.isArray(spec)) {
        const abiFile = `./abis/${base}-${contract}.json`;
        abis[abiFile] = spec;
        addressAbis[names.length - 1] = new Interface(spec as InterfaceAbi);
      } else addressAbis[names.length - 1] = undefined;
    });
    const status = (m.match_conditions?.transactions ?? []).map((t) => t.status ?? "Any");
    const txExpressions = (m.match_conditions?.transactions ?? []).filter((t) => t.expression);
    if (txExpressions.length > 0) {
      untranslated.push(
        `${file}: match_conditions.transactions expressions (${txExpressions.map((t) => `\`${t.expression}\``).join(", ")}) not translated: write them into the detectors' conditions (sender, txValue on calls)`,
      );
    }
    const onlySuccess = status.length > 0 && status.every((s) => s === "Success");
    const onlyFailure = status.length > 0 && status.every((s) => s === "Failure");
    const own: string[] = [];

    const conditions = (kind: "events" | "functions") => m.match_conditions?.[kind] ?? [];
    conditions("events").forEach((c, ci) => {
      if (onlyFailure) {
        untranslated.push(`${file}: events.${ci}: a failed transaction emits no events; skipped`);
        return;
      }
      names.forEach((contract, ai) => {
        const abi = addressAbis[ai];
        const where = `${file}: match_conditions.events.${ci} (${c.signature})`;
        if (abi === undefined) {
          untranslated.push(`${where} on ${contract}: no contract_spec (ABI) to decode it with; skipped`);
          return;
        }
        let event;
        try {
          event = eventFragment(c.signature ?? "", abi);
        } catch (error) {
          untranslated.push(`${where}: ${(error as CordonError).shortMessage ?? (error as Error).message}; skipped`);
          return;
        }
        const entry: Record<string, unknown> = {
          kind: "event",
          contract,
          abi: `./abis/${base}-${contract}.json`,
          event: event.format("sighash"),
        };
        if (c.expression) {
          const translated = translateExpression(c.expression, eventConditionNames(event));
          if ("error" in translated) {
            untranslated.push(
              `${where}: expression \`${c.expression}\`: ${translated.error}; the detector was left out`,
            );
            return;
          }
          entry.condition = translated.cel;
        }
        const dname = unique(slug(`${base}-${event.name}${names.length > 1 ? `-${contract}` : ""}`));
        detectors[dname] = entry;
        own.push(dname);
      });
    });
    conditions("functions").forEach((c, ci) => {
      names.forEach((contract, ai) => {
        const abi = addressAbis[ai];
        const where = `${file}: match_conditions.functions.${ci} (${c.signature})`;
        if (abi === undefined) {
          untranslated.push(`${where} on ${contract}: no contract_spec (ABI) to decode it with; skipped`);
          return;
        }
        let fn;
        try {
          fn = functionFragment(c.signature ?? "", abi);
        } catch (error) {
          untranslated.push(`${where}: ${(error as CordonError).shortMessage ?? (error as Error).message}; skipped`);
          return;
        }
        const entry: Record<string, unknown> = {
          kind: "calls",
          contract,
          abi: `./abis/${base}-${contract}.json`,
          functions: [fn.format("sighash")],
        };
        const parts: string[] = [];
        if (c.expression) {
          const translated = translateExpression(c.expression, callConditionNames(fn));
          if ("error" in translated) {
            untranslated.push(
              `${where}: expression \`${c.expression}\`: ${translated.error}; the detector was left out`,
            );
            return;
          }
          parts.push(translated.cel.includes("||") ? `(${translated.cel})` : translated.cel);
        }
        if (onlySuccess) parts.push("!reverted");
        if (onlyFailure) parts.push("reverted");
        if (parts.length > 0) entry.condition = parts.join(" && ");
        const dname = unique(slug(`${base}-calls-${fn.name}${names.length > 1 ? `-${contract}` : ""}`));
        detectors[dname] = entry;
        own.push(dname);
      });
    });
    if ((m.trigger_conditions ?? []).length > 0) {
      untranslated.push(`${file}: trigger_conditions (filter scripts) not run: write them as a \`module\` detector`);
    }
    if (own.length === 0) {
      untranslated.push(
        `${file}: "${m.name}" has nothing the keeper can watch (no translated events or functions); skipped`,
      );
      continue;
    }
    const channels = (m.triggers ?? []).filter((t) => {
      if (alerts[slug(t)] !== undefined) return true;
      untranslated.push(`${file}: trigger ${t} is not among the translated triggers; not alerted`);
      return false;
    });
    const monitorNetworks = (m.networks ?? []).filter((n) => {
      if (networks[slug(n).toLowerCase()] !== undefined) return true;
      untranslated.push(`${file}: network ${n} is not among the translated networks; not watched there`);
      return false;
    });
    for (const network of monitorNetworks) {
      const pname = monitorNetworks.length > 1 ? slug(`${base}-${network}`) : base;
      protocols[pname] = {
        network: slug(network).toLowerCase(),
        ...(hub === undefined ? {} : { hub }),
        contracts,
        detectors: own,
        ...(channels.length > 0 ? { alerts: channels.map(slug) } : {}),
      };
    }
  }

  const config = { networks, protocols, detectors, ...(Object.keys(alerts).length > 0 ? { alerts } : {}) };
  const header = [
    `# Written by \`cordon watch import\` from the OpenZeppelin Monitor configuration in ${dir}.`,
    "# Check it with `cordon watch <this file> --check`; then add `keys` and `actions` for the detectors that should pause.",
    ...(Object.keys(env).length > 0
      ? ["#", "# Environment variables it needs:", ...Object.entries(env).map(([k, v]) => `#   ${k}: ${v}`)]
      : []),
    ...(untranslated.length > 0
      ? ["#", "# Not translated:", ...untranslated.map((u) => `#   - ${u.replaceAll("\n", " ")}`)]
      : []),
  ];
  return { yaml: `${header.join("\n")}\n${stringify(config, { lineWidth: 0 })}`, abis, untranslated, env };
}

export interface ImportArgs {
  dir: string;
  out?: string;
  hub?: string;
  force?: boolean;
}

/** `cordon watch import`: writes the config and its ABI files; returns the exit code (0 written, 2 refused). */
export function importCommand(
  args: ImportArgs,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): number {
  const print = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);
  if (args.dir === "") {
    print(io.stderr, `error: the OpenZeppelin Monitor config directory is required\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const out = path.resolve(args.out === undefined || args.out === "" ? "keeper.yml" : args.out);
  if (existsSync(out) && args.force !== true) {
    print(io.stderr, `error: ${out} exists: pass --force to overwrite it, or --out another file`);
    return 2;
  }
  if (args.hub !== undefined && args.hub !== "" && !/^0x[0-9a-fA-F]{40}$/.test(args.hub)) {
    print(io.stderr, `error: --hub ${JSON.stringify(args.hub)} is not an address (0x and 40 hex digits)`);
    return 2;
  }
  let result: ImportResult;
  try {
    result = importOzMonitor(args.dir, args.hub === undefined || args.hub === "" ? {} : { hub: args.hub });
  } catch (error) {
    print(io.stderr, `error: ${(error as Error).message}`);
    return 2;
  }
  mkdirSync(path.dirname(out), { recursive: true });
  for (const [file, abi] of Object.entries(result.abis)) {
    const full = path.resolve(path.dirname(out), file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, `${JSON.stringify(abi, null, 2)}\n`);
  }
  writeFileSync(out, result.yaml);
  print(
    io.stdout,
    `wrote ${out}${Object.keys(result.abis).length > 0 ? ` and ${Object.keys(result.abis).length} ABI file(s) in ${path.join(path.dirname(out), "abis")}` : ""}`,
  );
  if (Object.keys(result.env).length > 0) {
    print(
      io.stdout,
      `environment variables it needs:\n${Object.entries(result.env)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join("\n")}`,
    );
  }
  if (result.untranslated.length > 0) {
    print(
      io.stdout,
      `not translated (${result.untranslated.length}):\n${result.untranslated.map((u) => `  - ${u}`).join("\n")}`,
    );
  }
  print(io.stdout, `next: cordon watch ${path.relative(process.cwd(), out) || out} --check`);
  return 0;
}
