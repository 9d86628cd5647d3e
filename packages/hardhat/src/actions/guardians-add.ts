/** `npx hardhat cordon guardians add --account <addr>`: governance grants GUARDIAN_ROLE. */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type ActionOptions, runCall } from "@cordon/keeper/governance/command.js";
import { guardianCall } from "@cordon/keeper/governance/operations.js";
import { connect, io, run } from "./common.js";

/** Adds or removes `args.account`; an account already in (or out of) the role needs nothing and sends nothing. */
export async function changeGuardian(
  action: "add" | "remove",
  args: ActionOptions & { account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await run(async () => {
    const { provider, deployment, accounts } = await connect(hre);
    const call = await guardianCall(provider, deployment, action, args.account);
    if (call === null) {
      const already = action === "add" ? "is already a guardian" : "is not a guardian";
      io.stdout.write(`${args.account} ${already}: nothing to do, nothing was sent\n`);
      return 0;
    }
    return await runCall(provider, deployment, call, accounts, args, io);
  });
}

export default async function guardiansAdd(
  args: ActionOptions & { account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await changeGuardian("add", args, hre);
}
