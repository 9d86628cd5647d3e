import { defineDetectorKind } from "../../config/kinds.js";
import { addressOrNameSchema, amountSchema } from "../../config/primitives.js";

export default defineDetectorKind({
  kind: "large-transfer",
  docs: "One ERC-20 transfer of `token` out of `from` at or above `threshold` (base units). Reads logs.",
  options: { token: addressOrNameSchema, from: addressOrNameSchema, threshold: amountSchema },
  addresses: ["token", "from"],
  build: async (c, { id, addresses, response }) =>
    (await import("../transfers.js")).largeTransferDetector({
      name: id,
      token: addresses.token!,
      from: addresses.from!,
      threshold: c.threshold,
      severity: c.severity,
      response,
    }),
});
