import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";

export default defineDetectorKind({
  kind: "chain-halt",
  docs: "No new agreed head for `maxSilenceSeconds`. Polls the wall clock.",
  options: { maxSilenceSeconds: z.number().positive() },
  build: async (c, { id, response }) =>
    (await import("../chain-halt.js")).chainHaltDetector({
      name: id,
      maxSilenceSeconds: c.maxSilenceSeconds,
      severity: c.severity,
      response,
    }),
});
