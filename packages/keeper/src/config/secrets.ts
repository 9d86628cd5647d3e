/**
 * Resolves the config's secret references: `{ env: NAME }` from the environment, keys also from an encrypted JSON
 * keystore (`{ keystore, passwordEnv }`). A secret's value never appears in an error or a log line: errors name the
 * variable or file that is missing, never what it holds.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { ALERT_KINDS } from "../alerts/kinds/index.js";
import { KeeperKey } from "./key.js";
import { kindOf } from "./kinds.js";
import { type ConfigProblem, ConfigError, type KeeperConfig } from "./load.js";
import type { EnvSecret, KeySecret } from "./schema.js";

export type Env = Record<string, string | undefined>;

/** Reads `{ env: NAME }`; a problem names the variable when it is unset or empty. */
export function readEnv(ref: EnvSecret, at: string, env: Env, problems: ConfigProblem[]): string | undefined {
  const value = env[ref.env];
  if (value === undefined || value.trim() === "") {
    problems.push({
      path: at,
      line: undefined,
      message: `the environment variable ${ref.env} is not set: export it before starting the watcher`,
    });
    return undefined;
  }
  return value.trim();
}

/** A URL given inline or as `{ env: NAME }`. */
export function readUrl(url: string | EnvSecret, at: string, env: Env, problems: ConfigProblem[]): string | undefined {
  return typeof url === "string" ? url : readEnv(url, at, env, problems);
}

/** Decrypts or reads a key; a problem says which variable or file is wrong, never the key. */
export async function readKey(
  ref: KeySecret,
  at: string,
  dir: string,
  env: Env,
  problems: ConfigProblem[],
): Promise<KeeperKey | undefined> {
  if ("env" in ref) {
    const value = readEnv(ref, at, env, problems);
    if (value === undefined) return undefined;
    try {
      return new KeeperKey(value);
    } catch {
      problems.push({ path: at, line: undefined, message: `${ref.env} does not hold a private key (32 bytes in hex)` });
      return undefined;
    }
  }
  const file = path.resolve(dir, ref.keystore);
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch {
    problems.push({
      path: at,
      line: undefined,
      message: `cannot read the keystore ${file}: check the path (relative to the config file)`,
    });
    return undefined;
  }
  const password = readEnv({ env: ref.passwordEnv }, at, env, problems);
  if (password === undefined) return undefined;
  try {
    // Only a keystore needs ethers' Wallet (its JSON decryption): loaded here, not by every keeper.
    const { Wallet } = await import("ethers/wallet");
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return new KeeperKey(wallet.privateKey);
  } catch {
    problems.push({
      path: at,
      line: undefined,
      message: `cannot decrypt ${file} with the password in ${ref.passwordEnv}: wrong password or not a keystore`,
    });
    return undefined;
  }
}

export interface Secrets {
  /** Endpoint URLs by network, then endpoint name. */
  urls: Map<string, Map<string, string>>;
  keys: Map<string, KeeperKey>;
  /** Alert channel secrets by alert name: `url`, `secret`, `routingKey`. */
  alerts: Map<string, Record<string, string>>;
}

/** Resolves every secret the config uses; throws one {@link ConfigError} naming each missing one. */
export async function resolveSecrets(config: KeeperConfig, env: Env = process.env): Promise<Secrets> {
  const problems: ConfigProblem[] = [];
  const secrets: Secrets = { urls: new Map(), keys: new Map(), alerts: new Map() };
  for (const network of config.networks) {
    const urls = new Map<string, string>();
    network.endpoints.forEach((endpoint, i) => {
      const url = readUrl(endpoint.url, `networks.${network.name}.endpoints.${i}.url`, env, problems);
      if (url !== undefined) urls.set(endpoint.name, url);
    });
    secrets.urls.set(network.name, urls);
  }
  const usedKeys = new Set(
    config.networks.flatMap((n) =>
      n.protocols.flatMap((p) => p.detectors.flatMap((d) => (d.action ? [d.action.key] : []))),
    ),
  );
  for (const name of usedKeys) {
    const ref = config.raw.keys[name];
    if (ref === undefined) continue; // reported by loadConfig
    const wallet = await readKey(ref, `keys.${name}`, config.dir, env, problems);
    if (wallet !== undefined) secrets.keys.set(name, wallet);
  }
  for (const [name, alert] of Object.entries(config.raw.alerts)) {
    const values: Record<string, string> = {};
    const at = `alerts.${name}`;
    const put = (field: string, value: string | undefined) => value !== undefined && (values[field] = value);
    for (const field of kindOf(ALERT_KINDS, alert.kind).secrets) {
      const ref = (alert as unknown as Record<string, string | EnvSecret>)[field]!;
      put(field, readUrl(ref, `${at}.${field}`, env, problems));
    }
    secrets.alerts.set(name, values);
  }
  if (problems.length > 0) throw new ConfigError(config.file, problems);
  return secrets;
}
