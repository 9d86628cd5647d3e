/** A real Safe (1.5.0 contracts from their npm build artifacts) on a test chain: singleton, proxy factory, proxy. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { Contract, ContractFactory, type Wallet } from "ethers";

const require = createRequire(import.meta.url);
const ARTIFACTS = path.join(
  path.dirname(require.resolve("@safe-global/safe-smart-account/package.json")),
  "build/artifacts/contracts",
);
const ZERO = "0x0000000000000000000000000000000000000000";

function safeArtifact(file: string): { abi: unknown[]; bytecode: string } {
  return JSON.parse(readFileSync(path.join(ARTIFACTS, file), "utf8")) as { abi: unknown[]; bytecode: string };
}

/** Deploys a Safe with `owners` and `threshold` through a fresh singleton and proxy factory; returns the proxy. */
export async function deploySafe(deployer: Wallet, owners: string[], threshold: number): Promise<Contract> {
  const safe = safeArtifact("Safe.sol/Safe.json");
  const factoryArtifact = safeArtifact("proxies/SafeProxyFactory.sol/SafeProxyFactory.json");
  const singleton = await new ContractFactory(safe.abi as never, safe.bytecode, deployer).deploy();
  await singleton.waitForDeployment();
  const factory = await new ContractFactory(factoryArtifact.abi as never, factoryArtifact.bytecode, deployer).deploy();
  await factory.waitForDeployment();
  const setup = singleton.interface.encodeFunctionData("setup", [owners, threshold, ZERO, "0x", ZERO, ZERO, 0, ZERO]);
  const tx = await (factory as Contract).getFunction("createProxyWithNonce")(singleton.target, setup, 0);
  const receipt = await tx.wait();
  const created = receipt.logs
    .map((log: { topics: string[]; data: string }) => factory.interface.parseLog(log))
    .find((parsed: { name: string } | null) => parsed?.name === "ProxyCreation");
  return new Contract(created.args.proxy as string, safe.abi as never, deployer);
}
