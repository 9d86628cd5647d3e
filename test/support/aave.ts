/**
 * Aave v3 as Aave ships it, deployed on a test chain's `hardhat node` from the artifacts of the npm package
 * `@aave/core-v3` (nothing recompiled, nothing of Cordon inside): the PoolAddressesProvider, the ACLManager, the Pool
 * and the PoolConfigurator behind the provider's proxies with their logic libraries linked by the artifacts'
 * `linkReferences`, Aave's mock price oracle, the AaveProtocolDataProvider, and one reserve (Aave's MintableERC20 as
 * the underlying, with AToken, StableDebtToken and VariableDebtToken implementations and a
 * DefaultReserveInterestRateStrategy) usable as collateral and borrowable. The keeper's key is the market's
 * EMERGENCY_ADMIN: `PoolConfigurator.setPoolPause(true)` is its pause.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { type Contract, ContractFactory, type Wallet } from "ethers";

import { TEST_KEYS, type TestChain } from "@cordon/testkit/chain.js";
import { send } from "./deploy.js";

const ROOT = path.resolve("node_modules/@aave/core-v3/artifacts/contracts");
const E18 = 10n ** 18n;
const RAY = 10n ** 27n;

interface AaveArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

/** An artifact of `@aave/core-v3` by its source path under `contracts/` (e.g. `protocol/pool/Pool.sol`). */
export function aaveArtifact(source: string, name = path.basename(source, ".sol")): AaveArtifact {
  return JSON.parse(readFileSync(path.join(ROOT, source, `${name}.json`), "utf8")) as AaveArtifact;
}

/** The artifact's bytecode with each library of its `linkReferences` replaced by its deployed address. */
export function link(artifact: AaveArtifact, libraries: Record<string, string>): string {
  let code = artifact.bytecode.slice(2);
  for (const [file, names] of Object.entries(artifact.linkReferences)) {
    for (const [name, places] of Object.entries(names)) {
      const address = libraries[name];
      if (address === undefined)
        throw new Error(`${artifact.contractName} links ${file}:${name}, which is not deployed`);
      for (const { start, length } of places) {
        code =
          code.slice(0, start * 2) +
          address
            .slice(2)
            .toLowerCase()
            .padStart(length * 2, "0") +
          code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

async function deployAave(
  wallet: Wallet,
  source: string,
  args: unknown[] = [],
  libraries: Record<string, string> = {},
  name?: string,
): Promise<Contract> {
  const artifact = aaveArtifact(source, name);
  const contract = await new ContractFactory(artifact.abi as never, link(artifact, libraries), wallet).deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as Contract;
}

export interface AaveMarket {
  provider: Contract;
  acl: Contract;
  /** The Pool proxy. */
  pool: Contract;
  /** The PoolConfigurator proxy. */
  configurator: Contract;
  dataProvider: Contract;
  /** The reserve's underlying token (Aave's MintableERC20, 18 decimals). */
  usdc: Contract;
  /** The reserve's aToken: it holds the underlying that suppliers deposit. */
  aToken: string;
  /** The EMERGENCY_ADMIN: the keeper's key. */
  emergencyAdmin: Wallet;
  /** Supplies `amount` of the underlying from `wallet` (minted to it first). */
  supply(wallet: Wallet, amount: bigint): Promise<number>;
  /** Borrows `amount` of the underlying at the variable rate for `wallet`. Returns its block. */
  borrow(wallet: Wallet, amount: bigint): Promise<number>;
}

/** Deploys an Aave v3 market with one reserve; `emergencyAdmin` (default the keeper's test key) may pause it. */
export async function deployAaveMarket(
  chain: TestChain,
  emergencyAdminKey: string = TEST_KEYS.keeper,
): Promise<AaveMarket> {
  const deployer = await chain.wallet(TEST_KEYS.deployer);
  const emergencyAdmin = await chain.wallet(emergencyAdminKey);

  const provider = await deployAave(deployer, "protocol/configuration/PoolAddressesProvider.sol", [
    "Cordon",
    deployer.address,
  ]);
  await send(provider, "setACLAdmin", deployer.address);
  const acl = await deployAave(deployer, "protocol/configuration/ACLManager.sol", [provider.target]);
  await send(provider, "setACLManager", acl.target);
  await send(acl, "addPoolAdmin", deployer.address);
  await send(acl, "addEmergencyAdmin", emergencyAdmin.address);

  // The Pool's logic libraries (FlashLoanLogic links BorrowLogic), then the Pool behind the provider's proxy.
  const libraries: Record<string, string> = {};
  for (const name of ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "PoolLogic"]) {
    libraries[name] = String((await deployAave(deployer, `protocol/libraries/logic/${name}.sol`)).target);
  }
  libraries.FlashLoanLogic = String(
    (await deployAave(deployer, "protocol/libraries/logic/FlashLoanLogic.sol", [], libraries)).target,
  );
  libraries.ConfiguratorLogic = String(
    (await deployAave(deployer, "protocol/libraries/logic/ConfiguratorLogic.sol")).target,
  );
  const poolImpl = await deployAave(deployer, "protocol/pool/Pool.sol", [provider.target], libraries);
  await send(poolImpl, "initialize", provider.target);
  await send(provider, "setPoolImpl", poolImpl.target);
  const pool = attach("protocol/pool/Pool.sol", String(await provider.getFunction("getPool")()), deployer);
  const configuratorImpl = await deployAave(deployer, "protocol/pool/PoolConfigurator.sol", [], libraries);
  await send(provider, "setPoolConfiguratorImpl", configuratorImpl.target);
  const configurator = attach(
    "protocol/pool/PoolConfigurator.sol",
    String(await provider.getFunction("getPoolConfigurator")()),
    deployer,
  );

  const oracle = await deployAave(deployer, "mocks/oracle/PriceOracle.sol");
  await send(provider, "setPriceOracle", oracle.target);
  const dataProvider = await deployAave(deployer, "misc/AaveProtocolDataProvider.sol", [provider.target]);
  await send(provider, "setPoolDataProvider", dataProvider.target);

  // One reserve: its token, its tokenization implementations and its interest rate strategy.
  const usdc = await deployAave(deployer, "mocks/tokens/MintableERC20.sol", ["USD Coin", "USDC", 18]);
  await send(oracle, "setAssetPrice", usdc.target, E18);
  const aTokenImpl = await deployAave(deployer, "protocol/tokenization/AToken.sol", [pool.target]);
  const stableImpl = await deployAave(deployer, "protocol/tokenization/StableDebtToken.sol", [pool.target]);
  const variableImpl = await deployAave(deployer, "protocol/tokenization/VariableDebtToken.sol", [pool.target]);
  const strategy = await deployAave(deployer, "protocol/pool/DefaultReserveInterestRateStrategy.sol", [
    provider.target,
    (RAY * 80n) / 100n, // optimal usage 80%
    0n,
    (RAY * 4n) / 100n,
    (RAY * 60n) / 100n,
    (RAY * 5n) / 1000n,
    (RAY * 60n) / 100n,
    (RAY * 1n) / 100n,
    (RAY * 8n) / 100n,
    (RAY * 20n) / 100n,
  ]);
  await send(configurator, "initReserves", [
    {
      aTokenImpl: aTokenImpl.target,
      stableDebtTokenImpl: stableImpl.target,
      variableDebtTokenImpl: variableImpl.target,
      underlyingAssetDecimals: 18,
      interestRateStrategyAddress: strategy.target,
      underlyingAsset: usdc.target,
      treasury: deployer.address,
      incentivesController: "0x0000000000000000000000000000000000000000",
      aTokenName: "Aave USDC",
      aTokenSymbol: "aUSDC",
      variableDebtTokenName: "Aave variable debt USDC",
      variableDebtTokenSymbol: "variableDebtUSDC",
      stableDebtTokenName: "Aave stable debt USDC",
      stableDebtTokenSymbol: "stableDebtUSDC",
      params: "0x",
    },
  ]);
  await send(configurator, "configureReserveAsCollateral", usdc.target, 8000, 8500, 10500);
  await send(configurator, "setReserveBorrowing", usdc.target, true);
  const reserve = (await pool.getFunction("getReserveData")(usdc.target)) as { aTokenAddress: string };

  return {
    provider,
    acl,
    pool,
    configurator,
    dataProvider,
    usdc,
    aToken: reserve.aTokenAddress,
    emergencyAdmin,
    async supply(wallet, amount) {
      const token = usdc.connect(wallet) as Contract;
      await send(token, "mint(address,uint256)", wallet.address, amount);
      await send(token, "approve", pool.target, amount);
      return await send(pool.connect(wallet) as Contract, "supply", usdc.target, amount, wallet.address, 0);
    },
    async borrow(wallet, amount) {
      return await send(pool.connect(wallet) as Contract, "borrow", usdc.target, amount, 2, 0, wallet.address);
    },
  };
}

function attach(source: string, address: string, wallet: Wallet): Contract {
  const { abi } = aaveArtifact(source);
  return new ContractFactory(abi as never, "0x", wallet).attach(address) as unknown as Contract;
}
