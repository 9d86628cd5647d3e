/**
 * Cordon's Hardhat 3 plugin: add it to `plugins` in hardhat.config.ts and the `cordon` tasks appear
 * (`npx hardhat cordon --help`).
 */
import "@nomicfoundation/hardhat-ignition-ethers";
import type { HardhatPlugin } from "hardhat/types/plugins";

import { cordonTasks } from "./tasks.js";

const cordonPlugin: HardhatPlugin = {
  id: "cordon",
  npmPackage: "@cordon/hardhat",
  tasks: cordonTasks,
  // `cordon deploy` deploys through Hardhat Ignition's ethers flavour: loading it here means a project need not add it.
  dependencies: () => [import("@nomicfoundation/hardhat-ignition-ethers")],
};

export default cordonPlugin;
