/**
 * The protocol a fire drill attacks, deployed fresh for each cell on a `hardhat node`: the sample CordonVault under
 * a CordonHub whose withdrawal limit trips the breaker (10,000 tokens a day of 101,000), two price feeds for the
 * oracle detector, and the attacker's one-transaction drain contract. Deploys through the test support's helpers
 * (`test/support/`), which talk to the node over JSON-RPC like any client.
 */
import { type Contract, Wallet } from "ethers";

import { TEST_KEYS, type TestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "../../test/support/deploy.js";

export const E18 = 10n ** 18n;
/** What the depositors put in: the vault's assets before any exploit. */
export const VAULT_ASSETS = 101_000n * E18;
/** The withdrawal limit's capacity (TRIP policy): the most an exploit can take before the breaker trips. */
export const LIMIT_CAPACITY = 10_000n * E18;
/** The price both feeds start at (8 decimals). */
export const PRICE = 100_000_000n;
/** Attacker transactions are sent with a fixed gas limit, so a refused one is mined (and reverts) like a real try. */
export const ATTACK_GAS = 1_000_000n;

export interface DrillProtocol {
  token: Contract;
  hub: Contract;
  vault: Contract;
  /** The feed the protocol reads, and the reference the oracle detector compares it with. */
  feed: Contract;
  reference: Contract;
  drainLoop: Contract;
  /** Governance and the flaw switch: the admin key a scenario may compromise. */
  admin: Wallet;
  /** The keeper's pause-only guardian key. */
  keeper: Wallet;
  attacker: Wallet;
  /** `contract` as the attacker. */
  asAttacker(contract: Contract): Contract;
}

export async function deployDrillProtocol(chain: TestChain): Promise<DrillProtocol> {
  const admin = await chain.wallet(TEST_KEYS.deployer);
  const keeper = new Wallet(TEST_KEYS.keeper);
  await chain.wallet(TEST_KEYS.keeper);
  const attacker = await chain.wallet(TEST_KEYS.outsider);

  const token = await deploy(admin, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
  const hub = await deploy(admin, "CordonHub", "contracts/hub", [admin.address, [keeper.address], 3 * 86400, 86400]);
  const vault = await deploy(admin, "CordonVault", "contracts/sample", [
    token.target,
    "Vault",
    "cv",
    hub.target,
    admin.address,
  ]);
  const feed = await deploy(admin, "MockAggregator", "contracts/mocks", [8, PRICE]);
  const reference = await deploy(admin, "MockAggregator", "contracts/mocks", [8, PRICE]);
  const drainLoop = await deploy(admin, "DrainLoop", "contracts/mocks", []);
  await send(hub, "addProtected", vault.target);
  await send(hub, "setLimit", vault.target, token.target, {
    scope: 1,
    capacity: LIMIT_CAPACITY,
    window: 86400,
    largeThreshold: 5_000n * E18,
    policy: 2, // TRIP: pause withdrawals through the hub and queue the breaching outflow
    inflowRefills: false,
    queueDelay: 86400,
  });
  await send(token, "mint", admin.address, 100_000n * E18);
  await send(token, "approve", vault.target, 2n ** 255n);
  await send(vault, "deposit", 100_000n * E18, admin.address);
  const asAttacker = (c: Contract) => c.connect(attacker) as Contract;
  await send(token, "mint", attacker.address, 2_000n * E18);
  await send(asAttacker(token), "approve", vault.target, 2n ** 255n);
  await send(asAttacker(token), "approve", drainLoop.target, 2n ** 255n);
  await send(asAttacker(vault), "deposit", 1_000n * E18, attacker.address);
  return { token, hub, vault, feed, reference, drainLoop, admin, keeper, attacker, asAttacker };
}
