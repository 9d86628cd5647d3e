/**
 * The keeper's alert routing: each protocol's alerts go to the channels its config lists (`protocols.<name>.alerts`),
 * alerts about a whole network go to every channel. Channels are built from the config's `alerts` with their
 * secrets; delivery, retries and the summarizing rate limit are the {@link Alerter}'s.
 */
import { type Alert, Alerter, type AlertSink } from "../alerts/index.js";
import { ALERT_KINDS } from "../alerts/kinds/index.js";
import { kindOf } from "../config/kinds.js";
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
    const sink = kindOf(ALERT_KINDS, alert.kind).build(alert as never, { name, secrets: secrets.alerts.get(name)! });
    // Every kind takes `minSeverity`; the Alerter routes nothing below it to the sink.
    sinks.set(name, alert.minSeverity === undefined ? sink : { ...sink, minSeverity: alert.minSeverity });
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
