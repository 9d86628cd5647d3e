/** `npx hardhat cordon queue cancel --id 1,2 [--contract <protected>]`: governance cancels queued outflows. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { cancelCall, parseIds, protectedTarget } from "@cordon/keeper/governance/operations.js";
import { governanceTask } from "./common.js";

export default async function queueCancel(
  args: ActionOptions & { contract: string; id: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment }) =>
    cancelCall(deployment, protectedTarget(deployment, args.contract), parseIds(args.id)),
  );
}
