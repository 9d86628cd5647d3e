/**
 * A generic webhook sink whose requests are signed, so a receiver can tell Cordon's alerts from anyone else's.
 *
 * Each POST carries a JSON body `{ version: 1, digest, title, alerts }` (`alerts` are {@link Alert}s; `digest` is true
 * when several are summarized in one message; dedupe on `alert.key`, which stays the same across retries and
 * restarts) and two headers:
 *
 * - `X-Cordon-Timestamp`: the time of sending, in unix seconds (each retry is signed afresh);
 * - `X-Cordon-Signature` (or the header the sink was given): `v1=` followed by the lowercase hex HMAC-SHA256, keyed
 *   with the shared secret, of `${timestamp}.${body}`.
 *
 * How a receiver verifies a request:
 *
 * 1. Read the body as raw bytes before any JSON parsing: re-serialized JSON will not match the signature.
 * 2. Reject the request if the timestamp is not an integer or is more than 5 minutes from the receiver's clock
 *    (older: a replay; newer: a wrong clock).
 * 3. Compute `v1=` + hex(HMAC-SHA256(secret, timestamp + "." + body)) and compare it with the header in constant time
 *    (Node: `crypto.timingSafeEqual` on equal-length buffers; Python: `hmac.compare_digest`; Go: `hmac.Equal`),
 *    never with `==`, which leaks how many leading characters matched.
 * 4. Only then parse the JSON, and drop alerts whose `key` was already handled.
 *
 * In TypeScript, {@link verifyWebhookSignature} does steps 2 and 3:
 *
 * ```ts
 * const ok = verifyWebhookSignature(secret, req.headers["x-cordon-timestamp"], rawBody, req.headers["x-cordon-signature"]);
 * ```
 */
import { createHmac, timingSafeEqual } from "node:crypto";

import { type Alert, type AlertSink, digestTitle, postJson, secretsOf } from "./alert.js";

export const TIMESTAMP_HEADER = "X-Cordon-Timestamp";
export const SIGNATURE_HEADER = "X-Cordon-Signature";

/** `v1=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * True when `signature` is the `v1=` HMAC of `${timestamp}.${body}` under `secret` and `timestamp` (unix seconds) is
 * within `toleranceSeconds` (default 300) of `now` (ms since epoch, default the current time). Never throws: a
 * missing or malformed header is simply not valid.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | undefined | null | string[],
  body: string | Buffer,
  signature: string | undefined | null | string[],
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  if (typeof signature !== "string" || !/^v1=[0-9a-f]{64}$/.test(signature)) return false;
  const text = typeof timestamp === "number" ? String(timestamp) : timestamp;
  if (typeof text !== "string" || !/^\d{1,15}$/.test(text)) return false;
  if (Math.abs(now / 1000 - Number(text)) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${text}.`).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature.slice(3), "hex"));
}

/** A generic HTTPS receiver of signed JSON alerts; `header` renames the signature header. */
export function webhookSink(options: { name?: string; url: string; secret: string; header?: string }): AlertSink {
  const name = options.name ?? "webhook";
  const secrets = secretsOf(options.url, options.secret);
  const header = options.header ?? SIGNATURE_HEADER;
  return {
    name,
    async send(alerts: Alert[]) {
      const digest = alerts.length > 1;
      const body = JSON.stringify({
        version: 1,
        digest,
        title: digest ? digestTitle(alerts) : alerts[0]?.title,
        alerts,
      });
      const timestamp = Math.floor(Date.now() / 1000);
      await postJson(name, options.url, body, {
        secrets,
        headers: { [TIMESTAMP_HEADER]: String(timestamp), [header]: signWebhook(options.secret, timestamp, body) },
      });
    },
  };
}
