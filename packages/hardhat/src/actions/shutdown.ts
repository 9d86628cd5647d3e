/** `npx hardhat cordon shutdown --reason <name|code> --yes`: governance shuts the protocol down, for good. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { SHUTDOWN_WARNING, shutdownCall } from "@cordon/keeper/governance/operations.js";
import { parseReason, reasonName } from "@cordon/keeper/governance/reasons.js";
import { governanceTask, io } from "./common.js";

export default async function shutdown(
  args: ActionOptions & { reason: string; yes: boolean },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment }) => {
    const reason = parseReason(args.reason);
    io.stdout.write(SHUTDOWN_WARNING);
    return shutdownCall(deployment, reason, reasonName(reason), args);
  });
}
