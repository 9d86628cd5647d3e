import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";

export default defineDetectorKind({
  kind: "tvl-drop",
  docs: "`holder`'s balance of `token` down `dropPercent` from its peak within `windowBlocks`. Reads a quorum `eth_call`.",
  options: {
    token: addressOrNameSchema,
    holder: addressOrNameSchema,
    windowBlocks: z.number().int().positive(),
    dropPercent: z.number().gt(0).max(100),
  },
  addresses: ["token", "holder"],
  build: async (c, { id, addresses, response }) =>
    (await import("../tvl.js")).tvlDropDetector({
      name: id,
      token: addresses.token!,
      holder: addresses.holder!,
      windowBlocks: c.windowBlocks,
      dropPercent: c.dropPercent,
      severity: c.severity,
      response,
    }),
});
