import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { chainHaltDetector } from "../chain-halt.js";

export default defineDetectorKind({
  kind: "chain-halt",
  docs: "No new agreed head for `maxSilenceSeconds`. Polls the wall clock.",
  options: { maxSilenceSeconds: z.number().positive() },
  build: (c, { id, response }) =>
    chainHaltDetector({ name: id, maxSilenceSeconds: c.maxSilenceSeconds, severity: c.severity, response }),
});
