/** Deploys Cordon's contracts on a `hardhat node` process (not the in-process network) from the build artifacts. */
import { readFileSync } from "node:fs";
import path from "node:path";

import { type Contract, ContractFactory, type Wallet } from "ethers";

export function artifact(name: string, folder = "contracts/mocks"): { abi: unknown[]; bytecode: string } {
  const file = path.resolve("artifacts", folder, `${name}.sol`, `${name}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as { abi: unknown[]; bytecode: string };
}

export async function deploy(wallet: Wallet, name: string, folder: string, args: unknown[]): Promise<Contract> {
  const { abi, bytecode } = artifact(name, folder);
  const contract = await new ContractFactory(abi as never, bytecode, wallet).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

/** Sends a contract call and waits for it to be mined. */
export async function send(contract: Contract, method: string, ...args: unknown[]): Promise<number> {
  const tx = await contract.getFunction(method)(...args);
  const receipt = await tx.wait();
  return receipt.blockNumber as number;
}
