/**
 * Cordon's Hardhat 3 plugin: add it to `plugins` in hardhat.config.ts and the `cordon` tasks appear
 * (`npx hardhat cordon --help`), configured by the `cordon` section of the config (type-extensions.ts).
 *
 * This module only declares: the tasks' actions and the config hook are imported when used, so `--help` stays quick.
 */
import { definePlugin } from "hardhat/plugins";

import "./type-extensions.js";
import { cordonTasks } from "./tasks.js";

export type * from "./type-extensions.js";

const cordonPlugin = definePlugin({
  id: "cordon",
  npmPackage: "@cordon/hardhat",
  // Hardhat Ignition's base plugin, not its ethers or viem flavour: `cordon deploy` drives ignition-core itself (see
  // actions/deploy.ts), and from the base it takes the journal folder (`paths.ignition`), the per-network fee and retry
  // settings, and the `ignition status/wipe` tasks that read Cordon's journal. Both Hardhat 3 toolboxes load the same
  // base, so a viem project and an ethers project get the same deploy.
  dependencies: () => [import("@nomicfoundation/hardhat-ignition")],
  hookHandlers: {
    config: () => import("./hook-handlers/config.js"),
  },
  tasks: cordonTasks,
});

export default cordonPlugin;
