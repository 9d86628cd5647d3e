/**
 * Structured logs (pino, JSON lines on stdout): one line per event with its fields. Secrets never reach a log
 * line: the library logs endpoint names, not URLs, and addresses, not keys; as a second guard, fields that could
 * hold one are redacted.
 */
import { type Logger, pino } from "pino";

export type { Logger } from "pino";

export const REDACTED_FIELDS = ["url", "key", "privateKey", "secret", "password", "routingKey", "*.url", "*.secret"];

export function createLogger(
  level: string,
  destination: NodeJS.WritableStream = process.stdout,
  base: Record<string, unknown> = {},
): Logger {
  return pino(
    {
      level,
      base: { service: "cordon-watch", ...base },
      redact: { paths: REDACTED_FIELDS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream,
  );
}
