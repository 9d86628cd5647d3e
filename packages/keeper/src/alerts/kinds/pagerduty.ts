import { z } from "zod";

import { defineAlertKind } from "../../config/kinds.js";
import { envSecretSchema } from "../../config/primitives.js";
import { pagerDutySink } from "../sinks.js";

export default defineAlertKind({
  kind: "pagerduty",
  docs: "PagerDuty Events API v2 (`dedup_key` = the alert's key). `routingKey` from the environment; `url` overrides the endpoint.",
  options: { routingKey: envSecretSchema, url: z.string().url().optional() },
  secrets: ["routingKey"],
  build: (c, { name, secrets }) => pagerDutySink({ name, routingKey: secrets.routingKey!, url: c.url }),
});
