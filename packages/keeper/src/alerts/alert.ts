/**
 * What every alert sink shares: the alert itself, the sink interface, the order of severities, the digest wording,
 * and one HTTP POST that classifies failures (5xx, 429 and network errors may be retried, other 4xx may not) and
 * reports them without the URL, the signing secret or the routing key: webhook URLs are secrets.
 */
import { CordonError } from "../errors.js";
import { type Severity, SEVERITIES, severityRank } from "../domain/types.js";

export { type Severity, SEVERITIES, severityRank } from "../domain/types.js";

export interface Alert {
  severity: Severity;
  /** One line. */
  title: string;
  /** What was seen or done. */
  summary: string;
  network?: string;
  protocol?: string;
  detector?: string;
  blockNumber?: number;
  txHash?: string;
  fields?: Record<string, string>;
  /** Same key = same alert (dedupe across retries and restarts), e.g. a finding id or an outbox key. */
  key: string;
  /** Milliseconds since epoch. */
  at: number;
}

export interface AlertSink {
  /** Appears in logs and stats (never the URL). */
  readonly name: string;
  /** The lowest severity the {@link Alerter} routes to this sink (default: everything the alerter accepts). */
  readonly minSeverity?: Severity;
  /** Delivers one alert, or several as one digest message. Throws {@link AlertDeliveryError}. */
  send(alerts: Alert[]): Promise<void>;
}

/** A delivery that failed. `status` is the HTTP status (undefined when no response came). Never holds the URL. */
export class AlertDeliveryError extends CordonError {
  override name = "AlertDeliveryError";
  /** How long the receiver asked us to wait (Retry-After), if it did. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly sink: string,
    readonly status: number | undefined,
    shortMessage: string,
    options: { retryable: boolean; retryAfterMs?: number; details?: string },
  ) {
    super(`${sink}: ${shortMessage}`, { retryable: options.retryable, details: options.details });
    this.retryAfterMs = options.retryAfterMs;
  }
}

const TIMEOUT_MS = 10_000;
const BODY_SNIPPET = 200;

/**
 * POSTs `body` as JSON. Resolves on 2xx; otherwise throws an {@link AlertDeliveryError} whose text is scrubbed of
 * every string in `secrets` (see {@link secretsOf}) even when the receiver echoes them back.
 */
export async function postJson(
  sink: string,
  url: string,
  body: string,
  options: { secrets: string[]; headers?: Record<string, string> },
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body,
      // A redirect would carry the body (and any routing key in it) somewhere we were not told to send it.
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new AlertDeliveryError(sink, undefined, `no response within ${TIMEOUT_MS} ms`, { retryable: true });
    }
    // Only the error code: messages of network errors may name the host.
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    const why = typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error";
    throw new AlertDeliveryError(sink, undefined, `could not reach the receiver (${why})`, { retryable: true });
  }
  const text = await response.text().catch(() => "");
  if (response.ok) return;
  const status = response.status;
  const retryable = status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  // Scrub before cutting, so no part of a secret survives at the cut.
  const snippet = redact(text, options.secrets).slice(0, BODY_SNIPPET).replace(/\s+/g, " ").trim();
  throw new AlertDeliveryError(sink, status, `the receiver answered HTTP ${status}`, {
    retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    details: retryable
      ? `it will be retried${snippet === "" ? "" : `; it said: ${snippet}`}`
      : `a ${status} will not go away by retrying: check the sink's configuration${snippet === "" ? "" : `; it said: ${snippet}`}`,
  });
}

/** Retry-After as delta-seconds or an HTTP date, in ms; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The URL and the parts of it that could be secret (credentials, path segments, query values), longest first. */
export function secretsOf(url: string, ...others: string[]): string[] {
  const found = new Set<string>([url, ...others]);
  try {
    const parsed = new URL(url);
    for (const part of [
      parsed.username,
      parsed.password,
      ...parsed.pathname.split("/"),
      ...parsed.searchParams.values(),
    ]) {
      if (part.length >= 6) found.add(part);
    }
  } catch {
    // Not a URL: fetch will refuse it too, and the whole string is already in the set.
  }
  return [...found].filter((s) => s !== "").sort((a, b) => b.length - a.length);
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
}

/** `s` cut to `max` characters, with an ellipsis when cut; newlines become spaces when `oneLine`. */
export function clip(s: string, max: number, oneLine = false): string {
  const t = oneLine ? s.replace(/\s*[\r\n]+\s*/g, " ") : s;
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/** The highest severity among `alerts`. */
export function highest(alerts: Alert[]): Severity {
  return alerts.reduce<Severity>((top, a) => (severityRank(a.severity) > severityRank(top) ? a.severity : top), "info");
}

/** "12 more alerts: 3 critical, 9 high", counting from the highest severity down. */
export function digestTitle(alerts: Alert[]): string {
  const counts = [...SEVERITIES]
    .reverse()
    .map((s) => [s, alerts.filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${alerts.length} more alerts: ${counts.join(", ")}`;
}

/** One line per alert for a digest, highest severity first (stable within a severity). */
export function digestLines(alerts: Alert[]): string[] {
  return [...alerts]
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
    .map((a) => {
      const where = [a.network, a.protocol].filter((x) => x !== undefined).join(" · ");
      return `[${a.severity}] ${clip(a.title, 200, true)}${where === "" ? "" : ` (${where})`}`;
    });
}

/** The alert's context as label/value pairs: network, protocol, detector, block, transaction, then `fields`. */
export function facts(alert: Alert): [string, string][] {
  const out: [string, string][] = [];
  if (alert.network !== undefined) out.push(["Network", alert.network]);
  if (alert.protocol !== undefined) out.push(["Protocol", alert.protocol]);
  if (alert.detector !== undefined) out.push(["Detector", alert.detector]);
  if (alert.blockNumber !== undefined) out.push(["Block", String(alert.blockNumber)]);
  if (alert.txHash !== undefined) out.push(["Transaction", alert.txHash]);
  for (const [name, value] of Object.entries(alert.fields ?? {})) out.push([name, value]);
  return out;
}

/**
 * Lines joined with newlines into chunks of at most `max` characters, at most `chunks` of them; lines that do not
 * fit are counted in a last "… and N more" line, so a digest always says how many alerts it holds.
 */
export function chunkLines(lines: string[], max: number, chunks: number): string[] {
  const groups: string[][] = [];
  let size = Infinity;
  for (const line of lines.map((l) => clip(l, max))) {
    if (size + 1 + line.length > max) {
      groups.push([]);
      size = -1;
    }
    groups.at(-1)!.push(line);
    size += 1 + line.length;
  }
  if (groups.length <= chunks) return groups.map((g) => g.join("\n"));
  const kept = groups.slice(0, chunks);
  const last = kept.at(-1)!;
  let shown = kept.flat().length;
  const trailer = () => `… and ${lines.length - shown} more`;
  while (last.length > 0 && last.join("\n").length + 1 + trailer().length > max) {
    last.pop();
    shown -= 1;
  }
  last.push(trailer());
  return kept.map((g) => g.join("\n"));
}
