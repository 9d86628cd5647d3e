/** `npx hardhat cordon recover --reason <name|code> [--checkpoint <id>]`: governance confirms the pause: Recovery. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type ActionOptions, hubCall } from "@cordon/keeper/governance/command.js";
import { parseReason, reasonName } from "@cordon/keeper/governance/reasons.js";
import { governanceTask } from "./common.js";
import { parseCheckpointId } from "./resume.js";

export default async function recover(
  args: ActionOptions & { reason: string; checkpoint: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment }) => {
    const reason = parseReason(args.reason);
    const id = args.checkpoint === "" ? 0n : parseCheckpointId(args.checkpoint);
    const from = id === 0n ? "a new checkpoint" : `checkpoint ${id}`;
    return hubCall(deployment, "enterRecovery", [id, reason], `enter Recovery from ${from} (${reasonName(reason)})`);
  });
}
