/**
 * `npx hardhat cordon watch [file]`: the keeper command (@cordon/keeper's keeper/command) with the process's streams;
 * without a file, the `cordon.keeperConfig` of hardhat.config.ts.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { watchCommand } from "@cordon/keeper/keeper/command.js";

export default async function watch(
  args: { file: string; check: boolean; replay: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  const config = args.file !== "" ? args.file : (hre.config.cordon.keeperConfig ?? "");
  const code = await watchCommand(
    { config, check: args.check, replay: args.replay },
    { stdout: process.stdout, stderr: process.stderr, env: process.env },
  );
  if (code !== 0) process.exitCode = code;
}
