/** The watcher's alerts: sinks for Slack, Discord, PagerDuty and signed webhooks, and the {@link Alerter} that feeds them. */
export { type Alert, AlertDeliveryError, type AlertSink, type Severity } from "./alert.js";
export { Alerter, type AlerterOptions, type AlerterStats } from "./alerter.js";
export { PAGERDUTY_EVENTS_URL, discordSink, pagerDutySink, slackSink } from "./sinks.js";
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature, webhookSink } from "./webhook.js";
