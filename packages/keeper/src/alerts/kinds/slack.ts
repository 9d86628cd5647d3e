import { defineAlertKind } from "../../config/kinds.js";
import { envSecretSchema } from "../../config/primitives.js";
import { slackSink } from "../sinks.js";

export default defineAlertKind({
  kind: "slack",
  docs: "A Slack incoming webhook (Block Kit). Its `url` carries the token: `{ env: NAME }` only.",
  options: { url: envSecretSchema },
  secrets: ["url"],
  build: (_, { name, secrets }) => slackSink({ name, url: secrets.url! }),
});
