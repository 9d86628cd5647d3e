/** Builds the keeper's notifier from the config's alert channels (filled in when the alert sinks land). */
import type { KeeperConfig } from "../config/load.js";
import type { Secrets } from "../config/secrets.js";
import type { Logger } from "../ops/logger.js";
import type { Notifier } from "./alerts.js";

export function buildNotifier(_config: KeeperConfig, _secrets: Secrets, _logger: Logger): Notifier | undefined {
  return undefined;
}
