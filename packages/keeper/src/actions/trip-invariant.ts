import { defineActionKind } from "../config/kinds.js";
import { addressOrNameSchema } from "../config/primitives.js";

export default defineActionKind({
  kind: "trip-invariant",
  docs: "Trips the hub on `target`'s failing invariant (`tripOnInvariant(target)`): needs no role.",
  role: null,
  options: { target: addressOrNameSchema },
  addresses: ["target"],
  response: (_, addresses) => ({ kind: "tripOnInvariant", target: addresses.target! }),
});
