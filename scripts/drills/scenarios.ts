/**
 * The fire drill's exploits, as data: what each prepares before the watcher starts (the vault's deliberate flaw
 * switched on), and the attacker's transactions, sent one per block. The first transaction is where the exploit
 * starts: the drill measures the pause from its block. Attacker transactions carry a fixed gas limit, so one the
 * paused protocol refuses is still mined, as a real attacker's retries would be.
 */
import type { TransactionResponse } from "ethers";

import { CordonHubConstants } from "@cordon/keeper/contracts/generated/cordon.js";

import { ATTACK_GAS, type DrillProtocol, E18, PRICE } from "./protocol.js";

export type AttackStep = (p: DrillProtocol) => Promise<TransactionResponse>;

export interface Scenario {
  name: string;
  description: string;
  /** Before the watcher starts, with the admin key (automine on). */
  prepare?(p: DrillProtocol): Promise<void>;
  /** The attacker's transactions, one per block. */
  steps: AttackStep[];
}

const opts = { gasLimit: ATTACK_GAS };
const flawOn = async (p: DrillProtocol) => {
  await (await p.vault.getFunction("setFlawed")(true)).wait();
};
const redeem = (shares: bigint): AttackStep => {
  return (p) => p.asAttacker(p.vault).getFunction("redeem")(shares, p.attacker.address, p.attacker.address, opts);
};

export const SCENARIOS: Scenario[] = [
  {
    name: "fast-drain",
    description: "one transaction redeems the same shares 30 times through the vault's flaw",
    prepare: flawOn,
    steps: [(p) => p.asAttacker(p.drainLoop).getFunction("drain")(p.vault.target, 1_000n * E18, 30, opts)],
  },
  {
    name: "slow-drain",
    description: "500 shares redeemed through the flaw in each of 10 blocks",
    prepare: flawOn,
    steps: Array.from({ length: 10 }, () => redeem(500n * E18)),
  },
  {
    name: "price-manipulation",
    description: "the protocol's price feed pushed 30% off its reference, then a cash-out",
    steps: [(p) => p.asAttacker(p.feed).getFunction("setAnswer")((PRICE * 130n) / 100n, opts), redeem(1_000n * E18)],
  },
  {
    name: "admin-key",
    description: "a compromised admin key grants the attacker governance of the hub, then a cash-out",
    steps: [
      (p) => p.hub.getFunction("grantRole")(CordonHubConstants.GOVERNANCE_ROLE, p.attacker.address, opts),
      redeem(1_000n * E18),
    ],
  },
  {
    name: "invariant-break",
    description: "one small withdrawal through the flaw: no large transfer, only the books break",
    prepare: flawOn,
    steps: [redeem(100n * E18)],
  },
];
