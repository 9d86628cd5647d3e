/**
 * `npx hardhat cordon queue approve --id 1,2 [--contract <protected>]`: governance approves queued outflows held for
 * approval (the outflows that tripped the breaker), so their recipients can claim them.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { approveCall, parseIds, protectedTarget, requireProtected } from "@cordon/keeper/governance/operations.js";
import { governanceTask } from "./common.js";

export default async function queueApprove(
  args: ActionOptions & { contract: string; id: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, async ({ deployment, provider }) => {
    const target = protectedTarget(deployment, args.contract);
    const ids = parseIds(args.id);
    await requireProtected(provider, deployment.hub, target);
    return await approveCall(provider, deployment, target, ids);
  });
}
