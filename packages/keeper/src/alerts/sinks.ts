/**
 * Chat and paging sinks: Slack incoming webhooks (Block Kit), Discord webhooks (embeds coloured by severity) and
 * PagerDuty Events API v2 (dedup_key = the alert's key, so a retry or a restart never opens a second incident).
 * Each renders one alert, or several as one digest, within the receiver's documented size limits.
 */
import { createHash } from "node:crypto";

import {
  type Alert,
  type AlertSink,
  type Severity,
  chunkLines,
  clip,
  digestLines,
  digestTitle,
  facts,
  highest,
  postJson,
  secretsOf,
} from "./alert.js";

/** Slack incoming webhook: `text` (the notification line) and `blocks` (header, summary, facts, key). */
export function slackSink(options: { name?: string; url: string }): AlertSink {
  const name = options.name ?? "slack";
  const secrets = secretsOf(options.url);
  return {
    name,
    async send(alerts) {
      await postJson(name, options.url, JSON.stringify(slackMessage(alerts)), { secrets });
    },
  };
}

const SLACK_LABEL: Record<Severity, string> = {
  info: ":information_source: INFO",
  low: ":large_blue_circle: LOW",
  medium: ":large_yellow_circle: MEDIUM",
  high: ":large_orange_circle: HIGH",
  critical: ":red_circle: CRITICAL",
};

/** Slack's mrkdwn treats &, < and > as control characters. */
const escapeSlack = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function slackMessage(alerts: Alert[]): { text: string; blocks: unknown[] } {
  const only = alerts.length === 1 ? alerts[0] : undefined;
  if (only === undefined) {
    const title = digestTitle(alerts);
    const sections = chunkLines(
      digestLines(alerts).map((line) => `• ${escapeSlack(line)}`),
      3000,
      45,
    ).map((text) => ({ type: "section", text: { type: "mrkdwn", text } }));
    return {
      text: clip(`${SLACK_LABEL[highest(alerts)]} ${title}`, 3000, true),
      blocks: [{ type: "header", text: { type: "plain_text", text: clip(title, 150, true) } }, ...sections],
    };
  }
  const list = facts(only).map(([label, value]) => ({
    type: "mrkdwn",
    text: clip(`*${escapeSlack(label)}*\n${escapeSlack(value)}`, 2000),
  }));
  return {
    text: clip(`${SLACK_LABEL[only.severity]} ${escapeSlack(only.title)}`, 3000, true),
    blocks: [
      { type: "header", text: { type: "plain_text", text: clip(only.title, 150, true) } },
      {
        type: "section",
        text: { type: "mrkdwn", text: clip(`*${SLACK_LABEL[only.severity]}*\n${escapeSlack(only.summary)}`, 3000) },
      },
      // A section holds at most 10 fields, a message at most 50 blocks.
      ...chunk(list.slice(0, 40), 10).map((fields) => ({ type: "section", fields })),
      {
        type: "context",
        elements: [
          { type: "mrkdwn", text: clip(`key ${escapeSlack(only.key)} · ${new Date(only.at).toISOString()}`, 3000) },
        ],
      },
    ],
  };
}

/** Discord webhook: one embed per message, coloured by the (highest) severity; mentions in alert text are inert. */
export function discordSink(options: { name?: string; url: string }): AlertSink {
  const name = options.name ?? "discord";
  const secrets = secretsOf(options.url);
  return {
    name,
    async send(alerts) {
      await postJson(name, options.url, JSON.stringify(discordMessage(alerts)), { secrets });
    },
  };
}

export const DISCORD_COLOURS: Record<Severity, number> = {
  info: 0x607d8b,
  low: 0x2196f3,
  medium: 0xffc107,
  high: 0xf57c00,
  critical: 0xd32f2f,
};

function discordMessage(alerts: Alert[]): unknown {
  const only = alerts.length === 1 ? alerts[0] : undefined;
  const embed =
    only === undefined
      ? {
          title: clip(digestTitle(alerts), 256, true),
          // Embeds total at most 6,000 characters; the description at most 4,096.
          description: chunkLines(digestLines(alerts), 4000, 1)[0],
          color: DISCORD_COLOURS[highest(alerts)],
          timestamp: new Date(Math.max(...alerts.map((a) => a.at))).toISOString(),
        }
      : {
          title: clip(`[${only.severity}] ${only.title}`, 256, true),
          description: clip(only.summary, 2000),
          color: DISCORD_COLOURS[only.severity],
          // With these cuts an embed stays under Discord's 6,000 characters in total.
          fields: facts(only)
            .slice(0, 15)
            .map(([label, value]) => ({ name: clip(label, 50), value: clip(value, 150), inline: true })),
          footer: { text: clip(`key ${only.key}`, 256) },
          timestamp: new Date(only.at).toISOString(),
        };
  return { username: "Cordon", embeds: [embed], allowed_mentions: { parse: [] } };
}

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** PagerDuty's four severities. */
export const PAGERDUTY_SEVERITY: Record<Severity, "critical" | "error" | "warning" | "info"> = {
  info: "info",
  low: "info",
  medium: "warning",
  high: "error",
  critical: "critical",
};

/**
 * PagerDuty Events API v2 `trigger` events. The dedup_key is the alert's key (hashed if over PagerDuty's 255
 * characters); a digest is one event keyed by the hash of its alerts' keys, with every alert in custom_details.
 * `minSeverity` keeps lower alerts from paging anyone: the {@link Alerter} does not route them here.
 */
export function pagerDutySink(options: {
  name?: string;
  routingKey: string;
  url?: string;
  minSeverity?: Severity;
}): AlertSink {
  const name = options.name ?? "pagerduty";
  const url = options.url ?? PAGERDUTY_EVENTS_URL;
  const secrets = secretsOf(url, options.routingKey);
  return {
    name,
    ...(options.minSeverity === undefined ? {} : { minSeverity: options.minSeverity }),
    async send(alerts) {
      await postJson(name, url, JSON.stringify(pagerDutyEvent(options.routingKey, alerts)), { secrets });
    },
  };
}

function pagerDutyEvent(routingKey: string, alerts: Alert[]): unknown {
  const only = alerts.length === 1 ? alerts[0] : undefined;
  const first = alerts[0]!;
  const details = (a: Alert) => ({ summary: a.summary, key: a.key, ...Object.fromEntries(facts(a)) });
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key:
      only === undefined
        ? `digest:${sha256(
            alerts
              .map((a) => a.key)
              .sort()
              .join("\n"),
          )}`
        : dedupKey(only.key),
    payload: {
      summary: clip(
        only === undefined ? `${digestTitle(alerts)}: ${digestLines(alerts).join("; ")}` : only.title,
        1024,
        true,
      ),
      source: first.network === undefined ? "cordon-watcher" : `cordon-watcher/${first.network}`,
      severity: PAGERDUTY_SEVERITY[highest(alerts)],
      timestamp: new Date(Math.max(...alerts.map((a) => a.at))).toISOString(),
      ...(only?.protocol === undefined ? {} : { component: only.protocol }),
      ...(only?.network === undefined ? {} : { group: only.network }),
      ...(only?.detector === undefined ? {} : { class: only.detector }),
      custom_details:
        only === undefined
          ? { alerts: alerts.map((a) => ({ title: a.title, severity: a.severity, ...details(a) })) }
          : details(only),
    },
  };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const dedupKey = (key: string) => (key.length <= 255 ? key : sha256(key));

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
