/**
 * A hub protecting one GuardedMock with three limited tokens, for the queued-outflow tests of `cordon status` and
 * `cordon recover`: A (scope 1) and B (scope 2) queue what is over their limit, C (scope 3) trips the breaker and
 * queues the outflow that tripped it, held for governance's approval. Each limit lets 100 tokens out a day.
 */
import { type Contract, type EventLog, type Wallet } from "ethers";

import { TEST_KEYS, type TestChain } from "@cordon/testkit/chain.js";
import { deploy, send } from "./deploy.js";

export const E18 = 10n ** 18n;
const DAY = 86_400;
const POLICY = { revert: 0, queue: 1, trip: 2 } as const;

export interface QueuedProtocol {
  hub: Contract;
  mock: Contract;
  tokens: { A: Contract; B: Contract; C: Contract };
  scopes: { A: number; B: number; C: number };
  keeper: Wallet;
  deployer: Wallet;
  /** Sends `amount` of `token` to `to` from the mock, over its limit: queued. Returns the id and the tx hash. */
  outflow(token: "A" | "B" | "C", to: string, amount: bigint): Promise<{ id: bigint; tripped: boolean; tx: string }>;
}

export async function deployQueuedProtocol(chain: TestChain, guardianPause = 3 * DAY): Promise<QueuedProtocol> {
  const deployer = await chain.wallet(TEST_KEYS.deployer);
  const keeper = await chain.wallet(TEST_KEYS.keeper);
  const hub = await deploy(deployer, "CordonHub", "contracts/hub", [
    deployer.address,
    [keeper.address],
    guardianPause,
    DAY,
  ]);
  const mock = await deploy(deployer, "GuardedMock", "contracts/mocks", [hub.target]);
  await send(hub, "addProtected", mock.target);
  const scopes = { A: 1, B: 2, C: 3 };
  const policies = { A: POLICY.queue, B: POLICY.queue, C: POLICY.trip };
  const tokens = {} as QueuedProtocol["tokens"];
  for (const name of ["A", "B", "C"] as const) {
    const token = await deploy(deployer, "MockERC20", "contracts/mocks", [`Token ${name}`, name, 18]);
    await send(token, "mint", mock.target, 1_000_000n * E18);
    await send(hub, "setLimit", mock.target, token.target, {
      scope: scopes[name],
      capacity: 100n * E18,
      window: DAY,
      largeThreshold: 0,
      policy: policies[name],
      inflowRefills: false,
      queueDelay: 0,
    });
    tokens[name] = token;
  }
  return {
    hub,
    mock,
    tokens,
    scopes,
    keeper,
    deployer,
    async outflow(name, to, amount) {
      const tx = await mock.getFunction("send")(tokens[name].target, to, amount);
      const receipt = await tx.wait();
      const queued = receipt.logs
        .filter((log: { address: string }) => log.address === mock.target)
        .map((log: EventLog) => mock.interface.parseLog(log))
        .find((parsed: { name: string } | null) => parsed?.name === "OutflowQueued");
      if (queued === undefined) throw new Error(`the ${name} outflow of ${amount} was not queued`);
      return { id: queued.args.id as bigint, tripped: queued.args.tripped as boolean, tx: tx.hash as string };
    },
  };
}
