import { defineActionKind } from "../config/kinds.js";
import { LAST_SCOPE, REASONS, reasonSchema, scopeSchema } from "../config/primitives.js";
import { z } from "zod";

export default defineActionKind({
  kind: "pause-scopes",
  docs: "Pauses the listed `scopes` (0 to the hub's `SCOPE_COUNT - 1`) with the guardian `key`.",
  role: "GUARDIAN_ROLE",
  options: {
    scopes: z.array(scopeSchema).min(1, `at least one scope number (0 to ${LAST_SCOPE})`),
    reason: reasonSchema.default("security"),
  },
  response: (c) => ({
    kind: "pauseScopes",
    scopes: c.scopes.reduce((mask, scope) => mask | (1n << BigInt(scope)), 0n),
    reason: typeof c.reason === "number" ? c.reason : REASONS[c.reason],
  }),
});
