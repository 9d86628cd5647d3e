/**
 * The registry of alert channel kinds: the config's `alerts.<name>.kind` values, each one file declaring its options,
 * which of them are secrets, its docs and its sink (`defineAlertKind`, `config/kinds.ts`). Every kind takes
 * `minSeverity`, which the keeper applies the same way for all of them.
 */
import discord from "./discord.js";
import pagerduty from "./pagerduty.js";
import slack from "./slack.js";
import webhook from "./webhook.js";

export const ALERT_KINDS = [slack, discord, pagerduty, webhook] as const;
