/**
 * `npx hardhat cordon set-limit --contract <protected> --token <addr> --scope N --capacity <amount> --window <s>`:
 * governance sets an asset's outflow limit in a protected contract (amounts in the token's units).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { ActionOptions } from "@cordon/keeper/governance/command.js";
import { type SetLimitInput, setLimitCall } from "@cordon/keeper/governance/operations.js";
import { governanceTask } from "./common.js";

export default async function setLimit(
  args: ActionOptions & SetLimitInput,
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await governanceTask(hre, args, ({ deployment, provider }) => setLimitCall(provider, deployment, args));
}
