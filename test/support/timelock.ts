/** A real OpenZeppelin TimelockController (5.x, from the npm package's build artifact) on a test chain. */
import { createRequire } from "node:module";

import { type Contract, ContractFactory, type Wallet, ZeroAddress } from "ethers";

const require = createRequire(import.meta.url);

/** Deploys a TimelockController with `minDelay` seconds, its proposers and executors, and no admin. */
export async function deployTimelock(
  deployer: Wallet,
  minDelay: number,
  proposers: string[],
  executors: string[],
): Promise<Contract> {
  const { abi, bytecode } = require("@openzeppelin/contracts/build/contracts/TimelockController.json") as {
    abi: unknown[];
    bytecode: string;
  };
  const factory = new ContractFactory(abi as never, bytecode, deployer);
  const timelock = await factory.deploy(minDelay, proposers, executors, ZeroAddress);
  await timelock.waitForDeployment();
  return timelock as unknown as Contract;
}
