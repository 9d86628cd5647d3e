import { defineAlertKind } from "../../config/kinds.js";
import { envSecretSchema } from "../../config/primitives.js";
import { discordSink } from "../sinks.js";

export default defineAlertKind({
  kind: "discord",
  docs: "A Discord webhook (embeds coloured by severity). Its `url` carries the token: `{ env: NAME }` only.",
  options: { url: envSecretSchema },
  secrets: ["url"],
  build: (_, { name, secrets }) => discordSink({ name, url: secrets.url! }),
});
