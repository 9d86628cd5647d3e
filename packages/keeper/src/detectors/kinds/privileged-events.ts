import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";
import { privilegedEventsDetector } from "../privileged.js";

export default defineDetectorKind({
  kind: "privileged-events",
  docs: "Role grants and revocations, ownership, proxy upgrades and admins, and the hub's governance edits on `contracts`. Reads logs.",
  options: { contracts: z.array(addressOrNameSchema).min(1) },
  addresses: ["contracts"],
  build: (c, { id, addresses, response }) =>
    privilegedEventsDetector({
      name: id,
      contracts: c.contracts.map((_, i) => addresses[`contracts.${i}`]!),
      severity: c.severity,
      response,
    }),
});
