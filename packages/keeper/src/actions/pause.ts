import { defineActionKind } from "../config/kinds.js";
import { REASONS, reasonSchema } from "../config/primitives.js";

export default defineActionKind({
  kind: "pause",
  docs: "Pauses the whole protocol (`pause(reason)`) with the guardian `key`.",
  role: "GUARDIAN_ROLE",
  options: { reason: reasonSchema.default("security") },
  response: (c) => ({ kind: "pause", reason: typeof c.reason === "number" ? c.reason : REASONS[c.reason] }),
});
