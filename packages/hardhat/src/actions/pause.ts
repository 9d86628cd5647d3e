/** `npx hardhat cordon pause --reason <name|code> [--scopes 1,2]`: pause everything, or the scopes named. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type ActionOptions, hubCall, parseScopes } from "@cordon/keeper/governance/command.js";
import { parseReason, reasonName } from "@cordon/keeper/governance/reasons.js";
import { governanceTask } from "./common.js";

export default async function pause(
  args: ActionOptions & { scopes: string; reason: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment }) => {
    const reason = parseReason(args.reason);
    if (args.scopes === "") return hubCall(deployment, "pause", [reason], `pause (${reasonName(reason)})`);
    const scopes = parseScopes(args.scopes);
    return hubCall(deployment, "pauseScopes", [scopes, reason], `pause scopes ${args.scopes} (${reasonName(reason)})`);
  });
}
