/**
 * What every governance task action shares: connect to the `--network`, find its deployment record, and turn
 * CordonErrors into a message and an exit code. The actions themselves only build their hub call.
 */
import { BrowserProvider, type Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type ActionOptions, reportError, runCall } from "@cordon/keeper/governance/command.js";
import { type Deployment, readDeployment } from "@cordon/keeper/governance/deployments.js";
import type { GovernancePlan } from "@cordon/keeper/governance/executor.js";
import { CordonError } from "@cordon/keeper/errors.js";

export interface Connected {
  provider: BrowserProvider;
  accounts: Signer[];
  deployment: Deployment;
  network: string;
}

export const io = { stdout: process.stdout, stderr: process.stderr };

/** The network connection and its deployment record, read from `cordon.deploymentsDir` (default `deployments/`). */
export async function connect(hre: HardhatRuntimeEnvironment): Promise<Connected> {
  const requested = hre.globalOptions.network;
  if (requested !== undefined && hre.config.networks[requested] === undefined) {
    throw new CordonError(`network "${requested}" is not defined in hardhat.config.ts`, {
      details: `pass one of ${Object.keys(hre.config.networks).join(", ")} to --network, or add "${requested}" under networks in hardhat.config.ts`,
    });
  }
  const connection = await hre.network.getOrCreate();
  const network = connection.networkName;
  const deployment = readDeployment(hre.config.cordon.deploymentsDir, network);
  const provider = new BrowserProvider(connection.provider);
  const { chainId } = await provider.getNetwork();
  if (chainId !== BigInt(deployment.chainId)) {
    throw new CordonError(
      `the deployment for network ${network} is on chain ${deployment.chainId}, but the endpoint is chain ${chainId}`,
      { details: "check the network's URL, or redeploy (`npx hardhat cordon deploy`) on this chain" },
    );
  }
  return { provider, accounts: await provider.listAccounts(), deployment, network };
}

/** Runs `work`, printing a CordonError as a message with its fix and setting the exit code. */
export async function run(work: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await work();
  } catch (error) {
    code = reportError(error, io);
  }
  if (code !== 0) process.exitCode = code;
}

/** A governance or guardian task: the call (or calls, sent together) `build` makes, simulated, shown and sent per `options`. */
export async function governanceTask(
  hre: HardhatRuntimeEnvironment,
  options: ActionOptions,
  build: (connected: Connected) => Promise<GovernancePlan> | GovernancePlan,
): Promise<void> {
  await run(async () => {
    const connected = await connect(hre);
    const call = await build(connected);
    return await runCall(connected.provider, connected.deployment, call, connected.accounts, options, io);
  });
}
