/**
 * The reason codes of CordonTypes.sol's `Reasons` library by name (from the generated vocabulary), so tasks take
 * `--reason SECURITY_DRAIN` (or a number) and status output prints names.
 */
import { Reasons } from "../contracts/generated/cordon.js";
import { CordonError } from "../errors.js";

/** Every reason code, without the cause classes (`CLASS_*`), which are the high byte alone. */
export const REASONS: Record<string, number> = Object.fromEntries(
  Object.entries(Reasons).filter(([name]) => !name.startsWith("CLASS_")),
);

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
