import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";

export default defineDetectorKind({
  kind: "privileged-events",
  docs: "Role grants and revocations, ownership, proxy upgrades and admins, and the hub's governance edits on `contracts`. Reads logs.",
  options: { contracts: z.array(addressOrNameSchema).min(1) },
  addresses: ["contracts"],
  build: async (c, { id, addresses, response }) =>
    (await import("../privileged.js")).privilegedEventsDetector({
      name: id,
      contracts: c.contracts.map((_, i) => addresses[`contracts.${i}`]!),
      severity: c.severity,
      response,
    }),
});
