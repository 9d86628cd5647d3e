import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema, amountSchema } from "../../config/primitives.js";

export default defineDetectorKind({
  kind: "outflow-volume",
  docs: "ERC-20 transfers of `token` out of `from` over a sliding window of `windowBlocks`, at or above `threshold`. Reads logs.",
  options: {
    token: addressOrNameSchema,
    from: addressOrNameSchema,
    windowBlocks: z.number().int().positive(),
    threshold: amountSchema,
  },
  addresses: ["token", "from"],
  build: async (c, { id, addresses, response }) =>
    (await import("../transfers.js")).outflowVolumeDetector({
      name: id,
      token: addresses.token!,
      from: addresses.from!,
      windowBlocks: c.windowBlocks,
      threshold: c.threshold,
      severity: c.severity,
      response,
    }),
});
