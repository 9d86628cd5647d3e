import { inspect } from "node:util";

import { expect } from "chai";

import { type Alert, AlertDeliveryError, type AlertSink } from "@cordon/keeper/alerts/alert.js";
import {
  DISCORD_COLOURS,
  PAGERDUTY_EVENTS_URL,
  discordSink,
  pagerDutySink,
  slackSink,
} from "@cordon/keeper/alerts/sinks.js";
import { HttpReceiver } from "@cordon/testkit/http-receiver.js";

const AT = Date.UTC(2025, 0, 2, 3, 4, 5);

const alert = (over: Partial<Alert> = {}): Alert => ({
  severity: "high",
  title: "Outflow over limit on vault",
  summary: "412,000 USDC left the vault in 3 blocks <@here>",
  network: "mainnet",
  protocol: "vault",
  detector: "outflow",
  blockNumber: 123,
  txHash: "0xabc",
  fields: { Asset: "USDC" },
  key: "finding-1",
  at: AT,
  ...over,
});

const digest: Alert[] = [
  alert({ severity: "low", title: "Low one", key: "k1" }),
  alert({ severity: "critical", title: "Critical one", key: "k2" }),
  alert({ severity: "low", title: "Low two", key: "k3" }),
];

async function sendError(sink: AlertSink, alerts: Alert[] = [alert()]): Promise<AlertDeliveryError> {
  try {
    await sink.send(alerts);
  } catch (error) {
    expect(error).to.be.instanceOf(AlertDeliveryError);
    return error as AlertDeliveryError;
  }
  throw new Error("expected the delivery to fail");
}

describe("alert sinks against local receivers", function () {
  let receiver: HttpReceiver;

  beforeEach(async function () {
    receiver = await new HttpReceiver().start();
  });

  afterEach(async function () {
    await receiver.stop();
  });

  describe("Slack", function () {
    it("posts Block Kit: text, a header, the summary escaped, the facts as fields, the key", async function () {
      await slackSink({ url: receiver.url("/services/T1/B1/slacksecret") }).send([alert()]);
      const [body] = receiver.json<{ text: string; blocks: any[] }>();
      expect(receiver.received[0]!.path).to.equal("/services/T1/B1/slacksecret");
      expect(receiver.received[0]!.headers["content-type"]).to.equal("application/json");
      expect(body!.text).to.equal(":large_orange_circle: HIGH Outflow over limit on vault");
      const [header, summary, facts, context] = body!.blocks;
      expect(header).to.deep.equal({
        type: "header",
        text: { type: "plain_text", text: "Outflow over limit on vault" },
      });
      expect(summary.text.type).to.equal("mrkdwn");
      expect(summary.text.text).to.contain("412,000 USDC left the vault in 3 blocks &lt;@here&gt;");
      expect(facts.fields.map((f: { text: string }) => f.text)).to.deep.equal([
        "*Network*\nmainnet",
        "*Protocol*\nvault",
        "*Detector*\noutflow",
        "*Block*\n123",
        "*Transaction*\n0xabc",
        "*Asset*\nUSDC",
      ]);
      expect(context.elements[0].text).to.equal(`key finding-1 · ${new Date(AT).toISOString()}`);
    });

    it("posts a digest as one message listing every alert, critical first", async function () {
      await slackSink({ url: receiver.url() }).send(digest);
      expect(receiver.received).to.have.length(1);
      const [body] = receiver.json<{ text: string; blocks: any[] }>();
      expect(body!.blocks[0].text.text).to.equal("3 more alerts: 1 critical, 2 low");
      expect(body!.text).to.contain("CRITICAL").and.contain("3 more alerts");
      const listed = body!.blocks[1].text.text as string;
      expect(listed.split("\n")).to.deep.equal([
        "• [critical] Critical one (mainnet · vault)",
        "• [low] Low one (mainnet · vault)",
        "• [low] Low two (mainnet · vault)",
      ]);
    });

    it("cuts a huge digest into sections within Slack's limits and counts what did not fit", async function () {
      const many = Array.from({ length: 3000 }, (_, i) => alert({ key: `k${i}`, title: `${"x".repeat(80)} ${i}` }));
      await slackSink({ url: receiver.url() }).send(many);
      const [body] = receiver.json<{ blocks: { type: string; text: { text: string } }[] }>();
      const sections = body!.blocks.slice(1);
      expect(sections.length).to.be.at.most(45);
      for (const s of sections) expect(s.text.text.length).to.be.at.most(3000);
      const shown = sections.flatMap((s) => s.text.text.split("\n")).filter((l) => l.startsWith("•")).length;
      expect(sections.at(-1)!.text.text).to.match(new RegExp(`… and ${3000 - shown} more$`));
    });
  });

  describe("Discord", function () {
    it("posts an embed coloured by severity, with fields, footer key and timestamp; mentions are inert", async function () {
      await discordSink({ url: receiver.url("/api/webhooks/1/discordsecret") }).send([alert({ severity: "critical" })]);
      const [body] = receiver.json<{ embeds: any[]; allowed_mentions: unknown; username: string }>();
      expect(body!.allowed_mentions).to.deep.equal({ parse: [] });
      expect(body!.embeds).to.have.length(1);
      const embed = body!.embeds[0];
      expect(embed.title).to.equal("[critical] Outflow over limit on vault");
      expect(embed.description).to.equal("412,000 USDC left the vault in 3 blocks <@here>");
      expect(embed.color).to.equal(0xd32f2f);
      expect(embed.timestamp).to.equal(new Date(AT).toISOString());
      expect(embed.footer.text).to.equal("key finding-1");
      expect(embed.fields).to.deep.include({ name: "Block", value: "123", inline: true });
      expect(embed.fields).to.deep.include({ name: "Asset", value: "USDC", inline: true });
    });

    it("gives each severity its own colour and a digest the highest one", async function () {
      const sink = discordSink({ url: receiver.url() });
      for (const severity of ["info", "low", "medium", "high"] as const) await sink.send([alert({ severity })]);
      await sink.send(digest);
      const colours = receiver.json<{ embeds: { color: number }[] }>().map((b) => b.embeds[0]!.color);
      expect(colours).to.deep.equal([
        DISCORD_COLOURS.info,
        DISCORD_COLOURS.low,
        DISCORD_COLOURS.medium,
        DISCORD_COLOURS.high,
        DISCORD_COLOURS.critical,
      ]);
      expect(new Set(colours).size).to.equal(5);
      const embed = receiver.json<{ embeds: { title: string; description: string }[] }>()[4]!.embeds[0]!;
      expect(embed.title).to.equal("3 more alerts: 1 critical, 2 low");
      for (const a of digest) expect(embed.description).to.contain(a.title);
    });
  });

  describe("PagerDuty", function () {
    it("triggers an Events API v2 event with routing_key, dedup_key = key and mapped severity", async function () {
      expect(PAGERDUTY_EVENTS_URL).to.equal("https://events.pagerduty.com/v2/enqueue");
      const sink = pagerDutySink({ routingKey: "R0UTINGKEY0123456789", url: receiver.url("/v2/enqueue") });
      await sink.send([alert()]);
      const [event] = receiver.json<any>();
      expect(event.routing_key).to.equal("R0UTINGKEY0123456789");
      expect(event.event_action).to.equal("trigger");
      expect(event.dedup_key).to.equal("finding-1");
      expect(event.payload).to.deep.include({
        summary: "Outflow over limit on vault",
        source: "cordon-watcher/mainnet",
        severity: "error",
        timestamp: new Date(AT).toISOString(),
        component: "vault",
        group: "mainnet",
        class: "outflow",
      });
      expect(event.payload.custom_details).to.deep.include({ key: "finding-1", Block: "123", Asset: "USDC" });
    });

    it("maps Cordon's five severities onto PagerDuty's four", async function () {
      const sink = pagerDutySink({ routingKey: "rk", url: receiver.url() });
      const severities = ["info", "low", "medium", "high", "critical"] as const;
      for (const severity of severities) await sink.send([alert({ severity, key: severity })]);
      expect(receiver.json<any>().map((e) => e.payload.severity)).to.deep.equal([
        "info",
        "info",
        "warning",
        "error",
        "critical",
      ]);
    });

    it("sends a digest as one event keyed by its alerts, whatever their order", async function () {
      const sink = pagerDutySink({ routingKey: "rk", url: receiver.url(), minSeverity: "high" });
      expect(sink.minSeverity).to.equal("high");
      await sink.send(digest);
      await sink.send([...digest].reverse());
      const [first, second] = receiver.json<any>();
      expect(first.dedup_key).to.match(/^digest:[0-9a-f]{64}$/);
      expect(second.dedup_key).to.equal(first.dedup_key);
      expect(first.payload.severity).to.equal("critical");
      expect(first.payload.summary).to.match(/^3 more alerts: 1 critical, 2 low: \[critical\] Critical one/);
      expect(first.payload.custom_details.alerts.map((a: { key: string }) => a.key)).to.deep.equal(["k1", "k2", "k3"]);
    });
  });

  describe("failures", function () {
    it("classifies 5xx and 429 as retryable (with Retry-After), other 4xx and redirects as permanent", async function () {
      const sink = slackSink({ url: receiver.url() });
      receiver.reply = () => ({ status: 503 });
      const unavailable = await sendError(sink);
      expect([unavailable.status, unavailable.retryable, unavailable.retryAfterMs]).to.deep.equal([
        503,
        true,
        undefined,
      ]);

      receiver.reply = () => ({ status: 429, headers: { "retry-after": "2" } });
      const limited = await sendError(sink);
      expect([limited.status, limited.retryable, limited.retryAfterMs]).to.deep.equal([429, true, 2000]);

      receiver.reply = () => ({ status: 400, body: "invalid_blocks" });
      const invalid = await sendError(sink);
      expect([invalid.status, invalid.retryable]).to.deep.equal([400, false]);
      expect(invalid.shortMessage).to.equal("slack: the receiver answered HTTP 400");
      expect(invalid.details).to.contain("invalid_blocks");

      receiver.reply = (_, n) => (n === 3 ? { status: 307, headers: { location: receiver.url("/elsewhere") } } : {});
      const moved = await sendError(sink);
      expect([moved.status, moved.retryable]).to.deep.equal([307, false]);
      expect(receiver.received.map((r) => r.path)).to.not.include("/elsewhere");
    });

    it("treats a receiver that is down as retryable, naming neither host nor path", async function () {
      const url = receiver.url("/services/T1/B1/downsecret");
      await receiver.stop();
      const down = await sendError(discordSink({ name: "ops-discord", url }));
      expect([down.status, down.retryable]).to.deep.equal([undefined, true]);
      expect(down.shortMessage).to.equal("ops-discord: could not reach the receiver (ECONNREFUSED)");
      expect(inspect(down, { depth: 10 }))
        .to.not.contain("downsecret")
        .and.not.contain("127.0.0.1");
    });

    it("scrubs the URL, its secret parts and the routing key from errors, even when the receiver echoes them", async function () {
      receiver.reply = (req) => ({ status: 400, body: `bad request to ${req.path}: ${req.body}` });
      const sinks = [
        slackSink({ url: receiver.url("/services/T1/B1/slacksecret123") }),
        discordSink({ url: receiver.url("/api/webhooks/1/discordsecret123?thread_id=threadsecret") }),
        pagerDutySink({ routingKey: "routingsecret123", url: receiver.url("/v2/enqueue") }),
      ];
      for (const sink of sinks) {
        const error = await sendError(sink);
        const text = `${String(error)} ${error.message} ${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`;
        expect(text).to.contain("[redacted]");
        for (const secret of [
          "slacksecret123",
          "discordsecret123",
          "threadsecret",
          "routingsecret123",
          receiver.url(),
        ]) {
          expect(text, `${sink.name} leaks ${secret}`).to.not.contain(secret);
        }
      }
    });
  });
});
