/**
 * Every Cordon task, declared in one place under the `cordon` namespace. Each action is a thin adapter in
 * `tasks/actions/` over the library in `src/`. `npx hardhat cordon --help` lists them; `--help` on a task shows
 * its options and an example.
 */
import { emptyTask, task } from "hardhat/config";

export const cordonTasks = [
  emptyTask("cordon", "Cordon: guard, watch, operate and report on a protocol (see each task's --help)").build(),

  // Hardhat owns the global `--config` (its own config file), so the keeper config is this task's argument; the
  // plain Node entry point (src/keeper/main.ts) takes `--config <file>`.
  task(
    ["cordon", "watch"],
    "Run the watcher (keeper): follow, detect, pause, alert. Example: npx hardhat cordon watch keeper.yml --check",
  )
    .addPositionalArgument({
      name: "file",
      description: "Keeper config file (YAML or JSON), e.g. keeper.yml",
      defaultValue: "",
    })
    .addFlag({ name: "check", description: "Validate the config and its secrets, then exit; nothing is sent" })
    .addOption({
      name: "replay",
      description: "Evaluate this block number with every detector and print the findings; nothing is sent",
      defaultValue: "",
    })
    .setAction(() => import("./actions/watch.js"))
    .build(),
];
