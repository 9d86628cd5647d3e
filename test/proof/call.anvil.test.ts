import { anvilBinary, startAnvil } from "@cordon/testkit/anvil-node.js";
import { shouldProveStateOn } from "./proven-state.behaviour.js";

// anvil is an optional dependency (Linux x64 only): elsewhere this suite is skipped, not failed.
if (anvilBinary() !== undefined) shouldProveStateOn("anvil", () => startAnvil());
else describe("proof: verified eth_call against anvil", () => it.skip("anvil is not installed on this platform"));
