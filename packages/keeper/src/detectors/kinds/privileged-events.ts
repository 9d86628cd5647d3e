import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";

export default defineDetectorKind({
  kind: "privileged-events",
  docs: "Role grants and revocations, ownership, proxy upgrades and admins, and hubs' governance edits on `contracts`. The protocol's own hub is left to its `hub-events` detector (no finding twice). Reads logs.",
  options: { contracts: z.array(addressOrNameSchema).min(1) },
  addresses: ["contracts"],
  build: async (c, { id, addresses, protocol, response }) =>
    (await import("../privileged.js")).privilegedEventsDetector({
      name: id,
      contracts: c.contracts
        .map((_, i) => addresses[`contracts.${i}`]!)
        .filter((a) => a.toLowerCase() !== protocol.hub.toLowerCase()),
      severity: c.severity,
      response,
    }),
});
