/** `npx hardhat cordon unpause --reason <name|code> [--scopes 1,2]`: governance lifts the pause, or some scopes'. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type ActionOptions, hubCall, parseScopes } from "@cordon/keeper/governance/command.js";
import { parseReason, reasonName } from "@cordon/keeper/governance/reasons.js";
import { governanceTask } from "./common.js";

export default async function unpause(
  args: ActionOptions & { scopes: string; reason: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment }) => {
    const reason = parseReason(args.reason);
    if (args.scopes === "") return hubCall(deployment, "unpause", [reason], `unpause (${reasonName(reason)})`);
    const scopes = parseScopes(args.scopes);
    const label = `unpause scopes ${args.scopes} (${reasonName(reason)})`;
    return hubCall(deployment, "unpauseScopes", [scopes, reason], label);
  });
}
