/**
 * A protocol's history of five incidents of every cause, built on a `hardhat node` with exact block times, for the
 * downtime report's tests and its sample picture. Times are offsets from T0, the anomaly of incident 1:
 * 1. security: anomaly at T0 (a watcher finding in the store), guardian pause at +20 s, recovery at +620 s, resume at
 *    +1,820 s, scope 2 (liquidations) in its 10-minute grace period until +2,420 s;
 * 2. network: guardian pause of scope 1 (withdrawals) at T1, never confirmed: it ends by itself an hour later;
 * 3. congestion: governance holds scope 0 (deposits) at T2 for 30 minutes;
 * 4. planned maintenance: governance pauses everything at T3 for two hours;
 * 5. security: an invariant fails and anyone trips the breaker at T4; still down at the last block, END.
 */
import path from "node:path";

import type { Contract, Wallet } from "ethers";

import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain } from "@cordon/testkit/chain.js";
import { deploy } from "./deploy.js";

const E18 = 10n ** 18n;
export const HOUR = 3600;
export const T1 = 10_000;
export const T2 = 30_000;
export const T3 = 40_000;
export const T4 = 60_000;
export const END = 60_900;
export const PAUSE_KEY = "pause:test:protocol:epoch-0";

export interface SampleHistory {
  hub: Contract;
  t0: number;
  anomalyBlock: number;
  lastBlock: number;
  store: Store;
  /** When the watcher stored its finding (unix seconds, ms precision). */
  detected: number;
  pauseTx: string;
}

export async function buildSampleHistory(chain: TestChain, dir: string): Promise<SampleHistory> {
  /** Mines the next transaction at exactly `time` and returns its receipt. */
  const at = async (time: number, contract: Contract, method: string, ...args: unknown[]) => {
    await chain.node.rpc("evm_setNextBlockTimestamp", [time]);
    const tx = await contract.getFunction(method)(...args);
    return (await tx.wait()) as { blockNumber: number; hash: string; blockHash: string };
  };
  const deployer = await chain.wallet(TEST_KEYS.deployer);
  const keeper = await chain.wallet(TEST_KEYS.keeper);
  const as = (c: Contract, w: Wallet) => c.connect(w) as Contract;

  // Governance is the deployer; the keeper is the only guardian. Guardian pauses last an hour, with the shortest cooldown the hub allows (a minute);
  // scope 2 (liquidations) stays paused for 10 minutes after a resume.
  const token = await deploy(deployer, "MockERC20", "contracts/mocks", ["USD Coin", "USDC", 18]);
  const hub = await deploy(deployer, "CordonHub", "contracts/hub", [deployer.address, [keeper.address], HOUR, 60]);
  const vault = await deploy(deployer, "CordonVault", "contracts/sample", [
    token.target,
    "Vault",
    "cv",
    hub.target,
    "0x0000000000000000000000000000000000000000",
  ]);
  const mock = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
  await (await hub.getFunction("addProtected")(vault.target)).wait();
  await (await hub.getFunction("addProtected")(mock.target)).wait();
  await (await hub.getFunction("setGrace")(1n << 2n, 600)).wait();
  await (await token.getFunction("mint")(deployer.address, 1_000n * E18)).wait();
  await (await token.getFunction("approve")(vault.target, 2n ** 255n)).wait();

  // T0 is no later than the wall clock when the watcher stores its finding, so detection follows the anomaly.
  const latest = Number((await chain.provider.getBlock("latest"))!.timestamp);
  const t0 = Math.max(latest + 1, Math.ceil(Date.now() / 1000));
  while (Date.now() < t0 * 1000) await new Promise((r) => setTimeout(r, 100));

  const anomaly = await at(t0, vault, "deposit", 100n * E18, deployer.address);
  const store = new Store(path.join(dir, "watcher.db"), 31337);
  store.addFinding({
    blockNumber: anomaly.blockNumber,
    blockHash: anomaly.blockHash,
    detector: "large-transfer",
    severity: "critical",
    summary: "100 USDC into the vault in one transaction",
    data: {},
  });
  const { entry } = store.intend(PAUSE_KEY, { kind: "pause", reason: 0x0101 });
  const pause = await at(t0 + 20, as(hub, keeper), "pause", 0x0101);
  store.update(entry.key, { status: "mined", txHash: pause.hash });
  await at(t0 + 620, hub, "enterRecovery", 0, 0x0101);
  const checkpoint = await hub.getFunction("latestCheckpointId")();
  await at(t0 + 1820, hub, "resume", checkpoint, [], 0x0101);

  await at(t0 + T1, as(hub, keeper), "pauseScopes", 1n << 1n, 0x0201);
  await at(t0 + T2, hub, "pauseScopes", 1n << 0n, 0x0301);
  await at(t0 + T2 + 1800, hub, "unpauseScopes", 1n << 0n, 0x0301);
  await at(t0 + T3, hub, "pause", 0x0401);
  await at(t0 + T3 + 7200, hub, "unpause", 0x0401);
  await (await mock.getFunction("setInvariantCode")(7)).wait();
  await at(t0 + T4, hub, "tripOnInvariant", mock.target);
  await chain.node.rpc("evm_mine", [t0 + END]);

  return {
    hub,
    t0,
    anomalyBlock: anomaly.blockNumber,
    lastBlock: Number(await chain.node.rpc<string>("eth_blockNumber")),
    store,
    detected: store.findingsInBlocks(anomaly.blockNumber, anomaly.blockNumber)[0]!.createdAt / 1000,
    pauseTx: pause.hash,
  };
}
