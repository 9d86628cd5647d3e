/**
 * `npx hardhat cordon recover --reason <name|code> [--checkpoint <id>] [--keep-tripped]`: governance confirms the
 * pause: Recovery. In the same governance transaction it cancels the outflows the incident's trips queued, held for
 * approval (a Safe batches them through MultiSendCallOnly, a timelock as one batch operation), unless --keep-tripped.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { parseReason } from "@cordon/keeper/governance/reasons.js";
import { recoverPlan } from "@cordon/keeper/governance/recover.js";
import { governanceTask, io } from "./common.js";
import { parseCheckpointId } from "./resume.js";

export default async function recover(
  args: ActionOptions & { reason: string; checkpoint: string; keepTripped: boolean },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, async ({ provider, deployment }) => {
    const reason = parseReason(args.reason);
    const checkpoint = args.checkpoint === "" ? 0n : parseCheckpointId(args.checkpoint);
    const plan = await recoverPlan(provider, deployment, { checkpoint, reason, keepTripped: args.keepTripped });
    for (const note of plan.notes) io.stdout.write(`${note}\n`);
    return plan.calls.length === 1 ? plan.calls[0]! : plan.calls;
  });
}
