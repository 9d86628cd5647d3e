/**
 * The keeper config: what a valid file resolves to, and that every mistake is reported with the file, the line, the
 * path, the value (never a secret's) and the fix, all at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { encryptKeystoreJson, Wallet } from "ethers";

import { ConfigError, parseConfig } from "@cordon/keeper/config/load.js";
import { parseAmount } from "@cordon/keeper/config/schema.js";
import { resolveSecrets } from "@cordon/keeper/config/secrets.js";
import { TEST_KEYS } from "@cordon/testkit/chain.js";

const HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const VAULT = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";

const VALID = `
networks:
  mainnet:
    chainId: 1
    endpoints:
      - { name: a, url: "http://127.0.0.1:8545" }
      - { name: b, url: { env: RPC_B } }
      - { name: c, url: "ws://127.0.0.1:8546" }
keys:
  guardian: { env: GUARDIAN_KEY }
protocols:
  vault:
    network: mainnet
    hub: "${HUB}"
    contracts: { usdc: "${TOKEN}", vault: "${VAULT}" }
    detectors: [drain, invariant]
    alerts: [ops]
detectors:
  drain: { kind: outflow-volume, token: usdc, from: vault, windowBlocks: 50, threshold: 20000e6, action: pause-withdrawals }
  invariant: { kind: invariant, target: vault }
actions:
  pause-withdrawals: { kind: pause-scopes, scopes: [1], reason: drain, key: guardian }
alerts:
  ops: { kind: webhook, url: { env: HOOK_URL }, secret: { env: HOOK_SECRET } }
`;

function problemsOf(text: string): string {
  try {
    parseConfig(text, "keeper.yml");
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  expect.fail("the config was accepted");
}

describe("keeper config", function () {
  it("resolves names to addresses, actions and keys", function () {
    const config = parseConfig(VALID, "/etc/cordon/keeper.yml");
    expect(config.dataDir).to.equal("/etc/cordon/cordon-data");
    const [network] = config.networks;
    expect(network?.name).to.equal("mainnet");
    expect(network?.startBlock).to.equal("latest");
    const [drain, invariant] = network!.protocols[0]!.detectors;
    expect(drain?.id).to.equal("vault/drain");
    expect(drain?.addresses).to.deep.equal({ token: TOKEN, from: VAULT });
    expect(drain?.config.kind === "outflow-volume" && drain.config.threshold).to.equal(20_000n * 10n ** 6n);
    expect(drain?.action).to.include({
      name: "pause-withdrawals",
      kind: "pause-scopes",
      reasonCode: 0x0101,
      key: "guardian",
    });
    expect(invariant?.addresses).to.deep.equal({ target: VAULT });
    expect(network!.protocols[0]!.alerts.map((a) => a.name)).to.deep.equal(["ops"]);
  });

  it("gives every protocol a hub-events detector for its own hub, unless it lists one; a trip's action is kept", function () {
    const implicit = parseConfig(VALID, "keeper.yml").networks[0]!.protocols[0]!.detectors;
    expect(implicit.map((d) => [d.id, d.config.kind, d.action?.name])).to.deep.equal([
      ["vault/drain", "outflow-volume", "pause-withdrawals"],
      ["vault/invariant", "invariant", undefined],
      ["vault/hub-events", "hub-events", undefined],
    ]);
    const own = VALID.replace("detectors: [drain, invariant]", "detectors: [drain, trips]").replace(
      "  invariant: { kind: invariant, target: vault }",
      "  trips: { kind: hub-events, severities: { unpause: low }, action: pause-withdrawals }",
    );
    const listed = parseConfig(own, "keeper.yml").networks[0]!.protocols[0]!.detectors;
    expect(listed.map((d) => [d.id, d.config.kind, d.action?.name])).to.deep.equal([
      ["vault/drain", "outflow-volume", "pause-withdrawals"],
      ["vault/trips", "hub-events", "pause-withdrawals"],
    ]);
    const clash = VALID.replace("detectors: [drain, invariant]", "detectors: [drain, hub-events]").replace(
      "  invariant: { kind: invariant, target: vault }",
      "  hub-events: { kind: invariant, target: vault }",
    );
    expect(problemsOf(clash)).to.include(
      'protocols.vault.detectors.1: "hub-events" names the hub\'s own detector, which every protocol has',
    );
    expect(problemsOf(own.replace("unpause: low", "unpaused: low"))).to.match(/unpaused/);
  });

  it("parses amounts exactly, and refuses fractions of a base unit", function () {
    expect(parseAmount("1500000")).to.equal(1_500_000n);
    expect(parseAmount("1.5e6")).to.equal(1_500_000n);
    expect(parseAmount("20000e18")).to.equal(20_000n * 10n ** 18n);
    expect(parseAmount("1_000")).to.equal(1000n);
    expect(parseAmount("1.25e1")).to.equal(undefined);
    expect(parseAmount("-5")).to.equal(undefined);
    expect(parseAmount("lots")).to.equal(undefined);
  });

  it("names the line, the path, the value and what exists for a name that does not", function () {
    const message = problemsOf(VALID.replace("detectors: [drain, invariant]", "detectors: [drain, invariants]"));
    expect(message).to.include("keeper.yml:16 protocols.vault.detectors.1");
    expect(message).to.include('"invariants" is not in `detectors` (known: drain, invariant)');
  });

  it("reads a protocol's mempool stage with its defaults, and names a wrong option", function () {
    const on = parseConfig(VALID.replace("    alerts: [ops]", "    alerts: [ops]\n    mempool: {}"), "keeper.yml");
    expect(on.networks[0]!.protocols[0]!.mempool).to.deep.equal({
      minSeverity: "critical",
      maxActionsPerHour: 1,
      pollIntervalMs: 250,
      concurrency: 4,
    });
    expect(parseConfig(VALID, "keeper.yml").networks[0]!.protocols[0]!.mempool).to.equal(undefined);
    const message = problemsOf(
      VALID.replace(
        "    alerts: [ops]",
        "    alerts: [ops]\n    mempool: { minSeverity: urgent, maxActionsPerHour: -1, sees: all }",
      ),
    );
    expect(message).to.include("protocols.vault.mempool.minSeverity");
    expect(message).to.include("protocols.vault.mempool.maxActionsPerHour");
    expect(message).to.match(/protocols\.vault\.mempool.*sees/);
  });

  it("reports every problem at once: unknown field, bad address, unknown kind, bad amount", function () {
    const message = problemsOf(
      VALID.replace(`hub: "${HUB}"`, `hub: "0x1234"`)
        .replace("windowBlocks: 50,", "windowBlock: 50,")
        .replace("kind: invariant,", "kind: invariants,")
        .replace("threshold: 20000e6", 'threshold: "20k"'),
    );
    expect(message).to.include("5 problems");
    expect(message).to.match(/keeper\.yml:14 protocols\.vault\.hub: "0x1234": the CordonHub address/);
    expect(message).to.include('detectors.drain: "windowBlock" is not an option of kind "outflow-volume"');
    expect(message).to.include("detectors.drain.windowBlocks: missing: a number is required here");
    expect(message).to.include('detectors.invariant.kind: kind "invariants" is not one of "large-transfer"');
    expect(message).to.include('"20k" is not an amount in base units');
  });

  it("refuses a key written inline, without repeating it", function () {
    const message = problemsOf(VALID.replace("guardian: { env: GUARDIAN_KEY }", `guardian: "${TEST_KEYS.keeper}"`));
    expect(message).to.include("keys.guardian: secrets are never written in the config");
    expect(message).to.include("{ env: NAME }");
    expect(message).to.not.include(TEST_KEYS.keeper.slice(10));
  });

  it("refuses a Slack URL written inline: it carries the token", function () {
    const url = "https://hooks.example.invalid/services/T000/B000/XXXXSECRET";
    const message = problemsOf(
      VALID.replace(
        "kind: webhook, url: { env: HOOK_URL }, secret: { env: HOOK_SECRET }",
        `kind: slack, url: "${url}"`,
      ),
    );
    expect(message).to.include("alerts.ops.url: this URL embeds a secret");
    expect(message).to.not.include("XXXXSECRET");
  });

  it("checks a quorum against the endpoints, and an action's key against `keys`", function () {
    const message = problemsOf(
      VALID.replace("chainId: 1\n", "chainId: 1\n    quorum: 4\n").replace("key: guardian }", "key: pauser }"),
    );
    expect(message).to.include("networks.mainnet.quorum: 4 is more than the 3 endpoints configured");
    expect(message).to.include('actions.pause-withdrawals.key: "pauser" is not in `keys` (known: guardian)');
  });

  it("refuses a pause scope the hub does not have: scopes run from 0 to 207", function () {
    expect(parseConfig(VALID.replace("scopes: [1]", "scopes: [0, 207]"), "keeper.yml").networks).to.have.length(1);
    const message = problemsOf(VALID.replace("scopes: [1]", "scopes: [1, 208]"));
    expect(message).to.include("keeper.yml:22 actions.pause-withdrawals.scopes.1");
    expect(message).to.include("208");
    expect(message).to.include("0 to 207");
  });

  it("refuses a channel option its kind does not support, naming the file, the line, the path and the kind's options", function () {
    const message = problemsOf(
      VALID.replace(
        "kind: webhook, url: { env: HOOK_URL }, secret: { env: HOOK_SECRET }",
        "kind: slack, url: { env: SLACK_URL }, secret: { env: HOOK_SECRET }",
      ),
    );
    expect(message).to.include(
      'keeper.yml:24 alerts.ops: "secret" is not an option of kind "slack": its options are minSeverity, url',
    );
  });

  it("says when the file is not YAML at all", function () {
    expect(problemsOf("networks: [unclosed")).to.include("not valid YAML or JSON");
  });

  describe("secrets", function () {
    let dir: string;
    before(() => (dir = mkdtempSync(path.join(tmpdir(), "cordon-config-"))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("names each missing environment variable, and nothing of the values", async function () {
      const config = parseConfig(VALID, path.join(dir, "keeper.yml"));
      let message = "";
      try {
        await resolveSecrets(config, { RPC_B: "http://127.0.0.1:1", HOOK_SECRET: "s3cr3t-value" });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.include("keys.guardian: the environment variable GUARDIAN_KEY is not set");
      expect(message).to.include("alerts.ops.url: the environment variable HOOK_URL is not set");
      expect(message).to.not.include("s3cr3t-value");
      expect(message).to.not.include("127.0.0.1:1");
    });

    it("decrypts a keystore with the password from the environment, and says when the password is wrong", async function () {
      const wallet = new Wallet(TEST_KEYS.keeper);
      const json = await encryptKeystoreJson(
        { address: wallet.address, privateKey: wallet.privateKey },
        "correct horse",
        { scrypt: { N: 1024 } },
      );
      writeFileSync(path.join(dir, "guardian.json"), json);
      const text = VALID.replace(
        "guardian: { env: GUARDIAN_KEY }",
        "guardian: { keystore: ./guardian.json, passwordEnv: KEYSTORE_PASSWORD }",
      );
      const config = parseConfig(text, path.join(dir, "keeper.yml"));
      const env = { RPC_B: "http://127.0.0.1:2", HOOK_URL: "http://127.0.0.1:3", HOOK_SECRET: "x" };
      const secrets = await resolveSecrets(config, { ...env, KEYSTORE_PASSWORD: "correct horse" });
      expect(secrets.keys.get("guardian")?.address).to.equal(wallet.address);
      expect(secrets.urls.get("mainnet")?.get("b")).to.equal("http://127.0.0.1:2");

      let message = "";
      try {
        await resolveSecrets(config, { ...env, KEYSTORE_PASSWORD: "wrong" });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.include("cannot decrypt");
      expect(message).to.include("KEYSTORE_PASSWORD");
    });
  });
});
