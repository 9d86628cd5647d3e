/**
 * The sample protocol on a test chain, as the watcher tests need it: a token, a CordonHub with the keeper as its
 * guardian, and a flawed CordonVault (withdrawals forget to settle) funded by a depositor and an attacker.
 */
import { type Contract, Wallet } from "ethers";

import { TEST_KEYS, type TestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "./deploy.js";

export const E18 = 10n ** 18n;

export interface SampleProtocol {
  token: Contract;
  hub: Contract;
  vault: Contract;
  keeper: Wallet;
  attacker: Wallet;
  /** The exploit: the flawed vault pays 10,000 tokens for 1,000 shares. Returns its block. */
  exploit(): Promise<number>;
}

export async function deploySampleProtocol(chain: TestChain): Promise<SampleProtocol> {
  const deployer = await chain.wallet(TEST_KEYS.deployer);
  const keeper = new Wallet(TEST_KEYS.keeper);
  await chain.wallet(TEST_KEYS.keeper);
  const attacker = await chain.wallet(TEST_KEYS.outsider);

  const token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
  const hub = await deploy(deployer, "CordonHub", "contracts/hub", [
    deployer.address,
    [keeper.address],
    3 * 86400,
    86400,
  ]);
  const vault = await deploy(deployer, "CordonVault", "contracts/sample", [
    token.target,
    "Vault",
    "cv",
    hub.target,
    deployer.address,
  ]);
  await send(hub, "addProtected", vault.target);
  await send(hub, "setLimit", vault.target, token.target, {
    scope: 1,
    capacity: 1_000_000n * E18,
    window: 86400,
    largeThreshold: 0,
    policy: 0,
    inflowRefills: false,
    queueDelay: 0,
  });
  await send(token, "mint", deployer.address, 100_000n * E18);
  await send(token, "approve", vault.target, 2n ** 255n);
  await send(vault, "deposit", 100_000n * E18, deployer.address);
  await send(token, "mint", attacker.address, 1_000n * E18);
  const asAttacker = (c: Contract) => c.connect(attacker) as Contract;
  await send(asAttacker(token), "approve", vault.target, 2n ** 255n);
  await send(asAttacker(vault), "deposit", 1_000n * E18, attacker.address);
  await send(vault, "setFlawed", true);
  return {
    token,
    hub,
    vault,
    keeper,
    attacker,
    exploit: async () => {
      const tx = await asAttacker(vault).getFunction("redeem")(1_000n * E18, attacker.address, attacker.address);
      return Number((await tx.wait()).blockNumber);
    },
  };
}
