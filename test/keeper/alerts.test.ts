/**
 * The keeper's alert routing built from a config: every channel kind honours its own `minSeverity`, so a channel
 * that should only page on critical findings is not sent the high ones.
 */
import { Writable } from "node:stream";

import { expect } from "chai";

import type { Alert } from "@cordon/keeper/alerts/alert.js";
import { parseConfig } from "@cordon/keeper/config/load.js";
import { resolveSecrets } from "@cordon/keeper/config/secrets.js";
import { buildNotifier } from "@cordon/keeper/keeper/alerts.js";
import { createLogger } from "@cordon/keeper/ops/logger.js";
import { HttpReceiver } from "@cordon/testkit/http-receiver.js";

const HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const KINDS = ["slack", "discord", "webhook", "pagerduty"] as const;

const config = (receiver: HttpReceiver) => `
networks:
  local: { chainId: 31337, endpoints: [{ name: a, url: "http://127.0.0.1:8545" }] }
protocols:
  vault: { network: local, hub: "${HUB}", detectors: [halt], alerts: [${KINDS.join(", ")}] }
detectors:
  halt: { kind: chain-halt, maxSilenceSeconds: 60 }
alerts:
  slack: { kind: slack, url: { env: SLACK_URL }, minSeverity: critical }
  discord: { kind: discord, url: { env: DISCORD_URL }, minSeverity: critical }
  webhook: { kind: webhook, url: { env: HOOK_URL }, secret: { env: HOOK_SECRET }, minSeverity: critical }
  pagerduty: { kind: pagerduty, routingKey: { env: PD_KEY }, url: "${receiver.url("/pagerduty")}", minSeverity: critical }
`;

const alert = (severity: Alert["severity"], key: string): Alert => ({
  severity,
  title: `${severity} finding`,
  summary: `a ${severity} finding`,
  protocol: "vault",
  key,
  at: Date.UTC(2026, 0, 1),
});

describe("keeper alert channels from the config", function () {
  let receiver: HttpReceiver;

  beforeEach(async function () {
    receiver = await new HttpReceiver().start();
  });

  afterEach(async function () {
    await receiver.stop();
  });

  it("honours minSeverity on every channel kind: a high alert reaches none, a critical one reaches each", async function () {
    const parsed = parseConfig(config(receiver), "keeper.yml");
    const secrets = await resolveSecrets(parsed, {
      SLACK_URL: receiver.url("/slack"),
      DISCORD_URL: receiver.url("/discord"),
      HOOK_URL: receiver.url("/webhook"),
      HOOK_SECRET: "s3cret",
      PD_KEY: "routing-key",
    });
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    const notifier = buildNotifier(parsed, secrets, createLogger("fatal", quiet))!;
    notifier.notify(alert("high", "high-1"));
    notifier.notify(alert("critical", "critical-1"));
    await notifier.close();
    const paths = receiver.received.map((r) => r.path).sort();
    expect(paths).to.deep.equal(KINDS.map((k) => `/${k}`).sort());
  });
});
