/**
 * The fire drill's faults, as data: what goes wrong around the watcher while an exploit runs. Endpoint faults act on
 * the primary of the watcher's three endpoints (fault-injecting proxies in front of one `hardhat node`); the base fee
 * spike and the reorg act on the chain; the crash kills the keeper process right after it detects the exploit.
 */
import { parseUnits } from "ethers";

import type { TestChain } from "@cordon/testkit/chain.js";

export interface FaultContext {
  chain: TestChain;
  /** The head when the fault starts, right before the exploit. */
  head: number;
}

export interface DrillFault {
  name: string;
  description: string;
  /** Run the keeper as its own process, SIGKILL it right after it detects the exploit, and restart it. */
  crash?: boolean;
  /** Mine the exploit, reorganize it out this many blocks deep, and mine it again on a longer branch. */
  reorgDepth?: number;
  /** Starts the fault right before the exploit; returns what ends it. */
  apply?(context: FaultContext): Promise<() => Promise<void>>;
}

/** The base fee during the spike: above the keeper's ordinary fee ceiling (200 gwei), within its emergency one. */
export const SPIKE_BASE_FEE = parseUnits("300", "gwei");

const onPrimary =
  (fault: (head: number) => TestChain["proxies"][number]["fault"]) =>
  async ({ chain, head }: FaultContext) => {
    chain.proxies[0]!.fault = fault(head);
    return async () => {
      chain.proxies[0]!.fault = { kind: "none" };
    };
  };

export const FAULTS: DrillFault[] = [
  { name: "none", description: "every endpoint healthy" },
  {
    name: "primary-down",
    description: "the primary endpoint refuses connections",
    apply: onPrimary(() => ({ kind: "down" })),
  },
  {
    name: "stale-node",
    description: "the primary endpoint is stuck at the head before the exploit",
    apply: onPrimary((head) => ({ kind: "stale", head })),
  },
  {
    name: "lying-node",
    description: "the primary endpoint returns wrong block hashes and wrong state",
    apply: onPrimary(() => ({ kind: "lying" })),
  },
  {
    name: "base-fee-spike",
    description: `every block's base fee held at ${SPIKE_BASE_FEE / 10n ** 9n} gwei`,
    apply: async ({ chain }) => {
      const set = (fee: bigint) => chain.node.rpc("hardhat_setNextBlockBaseFeePerGas", [`0x${fee.toString(16)}`]);
      await set(SPIKE_BASE_FEE);
      const timer = setInterval(() => void set(SPIKE_BASE_FEE).catch(() => {}), 200);
      return async () => {
        clearInterval(timer);
        await set(parseUnits("1", "gwei"));
      };
    },
  },
  { name: "reorg-3", description: "the exploit's blocks reorganized out 3 deep, the exploit re-mined", reorgDepth: 3 },
  {
    name: "watcher-crash",
    description: "the keeper process killed with SIGKILL right after detection, then restarted",
    crash: true,
  },
];
