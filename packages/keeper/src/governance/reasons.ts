/**
 * The reason codes of CordonTypes.sol's `Reasons` library by name, so tasks take `--reason SECURITY_DRAIN` (or a
 * number) and status output prints names.
 */
import { CordonError } from "../errors.js";

export const REASONS: Record<string, number> = {
  SECURITY_DRAIN: 0x0101,
  SECURITY_INVARIANT: 0x0102,
  SECURITY_ORACLE: 0x0103,
  SECURITY_PRIVILEGED: 0x0104,
  SECURITY_LIMIT_TRIP: 0x0105,
  NETWORK_HALT: 0x0201,
  NETWORK_RPC_DIVERGENCE: 0x0202,
  CONGESTION_FEES: 0x0301,
  MAINTENANCE_PLANNED: 0x0401,
  MAINTENANCE_UPGRADE: 0x0402,
  PAUSE_EXPIRED: 0x00ff,
};

/** A reason given as a name (`SECURITY_DRAIN`, any case) or a number (`257`, `0x0101`). */
export function parseReason(input: string): number {
  const named = REASONS[input.trim().toUpperCase()];
  if (named !== undefined) return named;
  const code = /^(0x[0-9a-f]+|\d+)$/i.test(input.trim()) ? Number(input.trim()) : NaN;
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new CordonError(`reason "${input}" is neither a reason name nor a code between 0 and 65535`, {
      details: `use one of ${Object.keys(REASONS).join(", ")}, or a number such as 0x0101`,
    });
  }
  return code;
}

/** A reason code's name, or its hex code when it has none. */
export function reasonName(code: bigint | number): string {
  const entry = Object.entries(REASONS).find(([, value]) => value === Number(code));
  return entry?.[0] ?? `0x${Number(code).toString(16).padStart(4, "0")}`;
}
