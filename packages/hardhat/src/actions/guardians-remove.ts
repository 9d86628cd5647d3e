/** `npx hardhat cordon guardians remove --account <addr>`: governance revokes GUARDIAN_ROLE. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { changeGuardian } from "./guardians-add.js";

export default async function guardiansRemove(
  args: ActionOptions & { account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await changeGuardian("remove", args, hre);
}
