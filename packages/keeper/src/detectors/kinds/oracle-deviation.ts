import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema } from "../../config/primitives.js";

export default defineDetectorKind({
  kind: "oracle-deviation",
  docs: "A price `feed` apart from a `reference` feed by more than `maxDeviationBps`, or not updated for `maxAgeSeconds`. Reads a quorum `eth_call`.",
  options: {
    feed: addressOrNameSchema,
    reference: addressOrNameSchema,
    maxDeviationBps: z.number().int().positive(),
    maxAgeSeconds: z.number().int().positive().optional(),
  },
  addresses: ["feed", "reference"],
  build: async (c, { id, addresses, response }) =>
    (await import("../oracle.js")).oracleDeviationDetector({
      name: id,
      feed: addresses.feed!,
      reference: addresses.reference!,
      maxDeviationBps: c.maxDeviationBps,
      maxAgeSeconds: c.maxAgeSeconds,
      severity: c.severity,
      response,
    }),
});
