import { startHardhatNode } from "@cordon/testkit/hardhat-node.js";
import { shouldProveStateOn } from "./proven-state.behaviour.js";

shouldProveStateOn("a hardhat node", () => startHardhatNode());
