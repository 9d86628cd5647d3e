import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

/** The roles tests give Hardhat's funded accounts, in a fixed order. */
export interface Accounts {
  governance: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  guardian2: HardhatEthersSigner;
  guardian3: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  attacker: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  flawSwitch: HardhatEthersSigner;
}

/** Names Hardhat's funded accounts by role, so tests read `accounts.guardian` rather than `signers[1]!`. */
export async function getAccounts(ethers: HardhatEthers): Promise<Accounts> {
  const signers = await ethers.getSigners();
  const at = (i: number): HardhatEthersSigner => {
    const signer = signers[i];
    if (signer === undefined) throw new Error(`the network has only ${signers.length} accounts; need ${i + 1}`);
    return signer;
  };
  return {
    governance: at(0),
    guardian: at(1),
    guardian2: at(2),
    guardian3: at(3),
    alice: at(4),
    bob: at(5),
    attacker: at(6),
    stranger: at(7),
    flawSwitch: at(8),
  };
}
