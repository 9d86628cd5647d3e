/** `npx hardhat cordon checkpoint --reason <name|code>`: record the protocol's state digest now. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type ActionOptions, hubCall } from "@cordon/keeper/governance/command.js";
import { parseReason, reasonName } from "@cordon/keeper/governance/reasons.js";
import { governanceTask } from "./common.js";

export default async function checkpoint(
  args: ActionOptions & { reason: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment }) => {
    const reason = parseReason(args.reason);
    return hubCall(deployment, "checkpoint", [reason], `checkpoint (${reasonName(reason)})`);
  });
}
