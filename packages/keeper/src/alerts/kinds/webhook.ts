import { defineAlertKind } from "../../config/kinds.js";
import { envSecretSchema, urlSchema } from "../../config/primitives.js";
import { webhookSink } from "../webhook.js";

export default defineAlertKind({
  kind: "webhook",
  docs: "A signed JSON webhook (HMAC-SHA256 of timestamp and body with `secret`; see `alerts/webhook.ts`).",
  options: { url: urlSchema, secret: envSecretSchema },
  secrets: ["url", "secret"],
  build: (_, { name, secrets }) => webhookSink({ name, url: secrets.url!, secret: secrets.secret! }),
});
