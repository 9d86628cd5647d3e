/** `npx hardhat cordon queue claim --id <id> [--contract <protected>]`: pay a released queued outflow to its recipient. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { claimCall, parseWhole, protectedTarget, requireProtected } from "@cordon/keeper/governance/operations.js";
import { governanceTask } from "./common.js";

export default async function queueClaim(
  args: ActionOptions & { contract: string; id: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, async ({ deployment, provider }) => {
    const target = protectedTarget(deployment, args.contract);
    const id = parseWhole(args.id, "id");
    await requireProtected(provider, deployment.hub, target);
    return await claimCall(provider, target, id);
  });
}
