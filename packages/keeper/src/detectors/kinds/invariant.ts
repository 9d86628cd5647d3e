import { addressOrNameSchema } from "../../config/primitives.js";
import { defineDetectorKind } from "../../config/kinds.js";
import type { Detector } from "../types.js";

export default defineDetectorKind({
  kind: "invariant",
  docs: "A protected contract's `checkInvariants()` failing; responds with the permissionless trip unless an `action` replaces it. Reads a quorum `eth_call`.",
  options: { target: addressOrNameSchema },
  addresses: ["target"],
  build: async (c, { id, addresses, response, hasAction }): Promise<Detector> => {
    const built = (await import("../invariant.js")).invariantDetector({ name: id, target: addresses.target! });
    if (!hasAction && c.severity === undefined) return built;
    // A configured action replaces the built-in trip; a configured severity replaces the finding's.
    return {
      ...built,
      async evaluate(context) {
        const findings = await built.evaluate(context);
        return findings.map((f) => ({
          ...f,
          response: hasAction ? response : f.response,
          severity: c.severity ?? f.severity,
        }));
      },
    };
  },
});
