/**
 * The keeper's alert routing: each protocol's alerts go to the channels its config lists (`protocols.<name>.alerts`),
 * alerts about a whole network go to every channel. Channels are built from the config's `alerts` with their
 * secrets; delivery, retries and the summarizing rate limit are the {@link Alerter}'s.
 */
import {
  type Alert,
  Alerter,
  type AlertSink,
  discordSink,
  pagerDutySink,
  slackSink,
  webhookSink,
} from "../alerts/index.js";
import type { KeeperConfig } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import type { Logger } from "../ops/logger.js";
import type { KeeperMetrics } from "../ops/metrics.js";

export type { Alert } from "../alerts/index.js";

export interface Notifier {
  notify(alert: Alert): void;
  close(): Promise<void>;
}

export function buildNotifier(
  config: KeeperConfig,
  secrets: Secrets,
  logger: Logger,
  metrics?: KeeperMetrics,
): Notifier | undefined {
  const sinks = new Map<string, AlertSink>();
  for (const [name, alert] of Object.entries(config.raw.alerts)) {
    const s = secrets.alerts.get(name)!;
    switch (alert.kind) {
      case "slack":
        sinks.set(name, slackSink({ name, url: s.url! }));
        break;
      case "discord":
        sinks.set(name, discordSink({ name, url: s.url! }));
        break;
      case "pagerduty":
        sinks.set(
          name,
          pagerDutySink({ name, routingKey: s.routingKey!, url: alert.url, minSeverity: alert.minSeverity }),
        );
        break;
      case "webhook":
        sinks.set(name, webhookSink({ name, url: s.url!, secret: s.secret! }));
        break;
    }
  }
  if (sinks.size === 0) return undefined;

  const log = logger.child({ component: "alerts" });
  const make = (names: string[]) =>
    new Alerter({
      sinks: names.map((n) => sinks.get(n)!),
      minSeverity: config.raw.alertAt,
      maxPerMinute: config.raw.alertsPerMinute,
      log: (event, fields) => {
        const outcome = event.split(".")[1] ?? event;
        if (typeof fields.sink === "string" && ["sent", "failed", "held"].includes(outcome)) {
          metrics?.alerts.inc({ channel: fields.sink, outcome });
        }
        log[outcome === "failed" ? "error" : "info"]({ event, ...fields });
      },
    });
  const byProtocol = new Map<string, Alerter>();
  for (const network of config.networks) {
    for (const protocol of network.protocols) {
      if (protocol.alerts.length > 0) byProtocol.set(protocol.name, make(protocol.alerts.map((a) => a.name)));
    }
  }
  const everyone = make([...sinks.keys()]);
  return {
    notify: (alert) => (byProtocol.get(alert.protocol ?? "") ?? everyone).notify(alert),
    close: async () => {
      await Promise.all([...byProtocol.values(), everyone].map((a) => a.close()));
    },
  };
}
