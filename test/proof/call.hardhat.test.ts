import { startHardhatNode } from "../support/hardhat-node.js";
import { shouldProveStateOn } from "./proven-state.behaviour.js";

shouldProveStateOn("a hardhat node", () => startHardhatNode());
