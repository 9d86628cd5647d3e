/**
 * The fire drill's faults, as data: what goes wrong around the watcher while an exploit runs. Endpoint faults act on
 * the primary of the watcher's three endpoints (fault-injecting proxies in front of one `hardhat node`); the base fee
 * spike and the reorg act on the chain; the crash kills the keeper process right after it detects the exploit.
 */
import { parseUnits } from "ethers";

import { hubInterface } from "@cordon/keeper/contracts/abi.js";
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
  /** The primary endpoint speaks WebSocket in this cell (new heads by subscription); elsewhere every one is HTTP. */
  webSocket?: boolean;
  /**
   * The keeper watches the public mempool (`mempool` in its config), where the attacker's transactions wait for their
   * block: the cell's targets are 0 blocks to pause and nothing drained. Every other cell is private orderflow (the
   * keeper sees an exploit only once it is mined).
   */
  publicMempool?: boolean;
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

/**
 * The fault on the primary endpoint, and the others 40 ms slower: the liar is the endpoint a single-endpoint read
 * would prefer, as a fast provider that lies would be.
 */
const fastestLiar =
  (fault: () => TestChain["proxies"][number]["fault"]) =>
  async ({ chain }: FaultContext) => {
    const [primary, ...backups] = chain.proxies;
    primary!.fault = fault();
    for (const backup of backups) backup.fault = { kind: "slow", delayMs: 40 };
    return async () => {
      for (const proxy of chain.proxies) proxy.fault = { kind: "none" };
    };
  };

const CURRENT_SYNC = hubInterface.getFunction("currentSync")!.selector;

/** A hub `currentSync()` answer rewritten to say the hub is paused (everything else as the node said). */
function claimPaused(method: string, params: unknown[], result: unknown): unknown {
  if (method !== "eth_call" || !String((params[0] as { data?: unknown })?.data).startsWith(CURRENT_SYNC)) return result;
  const [sync] = hubInterface.decodeFunctionResult("currentSync", String(result));
  return hubInterface.encodeFunctionResult("currentSync", [[1n, ...Array.from(sync as unknown[]).slice(1)]]);
}

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
    name: "log-omission",
    description:
      "the primary endpoint omits the logs of the newest 2 blocks from eth_getLogs, everything else honest; it is the fastest (the others 40 ms slower)",
    apply: fastestLiar(() => ({ kind: "omit-logs", latest: 2 })),
  },
  {
    name: "simulation-lie",
    description:
      "the primary endpoint's eth_estimateGas says every call reverts as if the hub were already paused; it is the fastest (the others 40 ms slower)",
    apply: fastestLiar(() => ({
      kind: "reverting",
      methods: ["eth_estimateGas"],
      data: hubInterface.encodeErrorResult("CordonInvalidTransition", [1, 1]),
    })),
  },
  {
    name: "ahead-liar",
    description: "the primary endpoint claims a head 5 blocks above the others and lies in its state reads",
    apply: onPrimary(() => ({ kind: "ahead", by: 5, lieIn: ["eth_call", "eth_getBalance", "eth_getStorageAt"] })),
  },
  {
    name: "false-paused",
    description: "two endpoints agree the hub is paused when it is not (honest headers and proofs)",
    apply: async ({ chain }) => {
      for (const proxy of chain.proxies.slice(0, 2)) proxy.fault = { kind: "rewrite", rewrite: claimPaused };
      return async () => {
        for (const proxy of chain.proxies.slice(0, 2)) proxy.fault = { kind: "none" };
      };
    },
  },
  {
    name: "public-mempool",
    description:
      "no fault; the exploit waits in the public mempool for its block, and the keeper watches pending transactions (primary over WebSocket)",
    publicMempool: true,
    webSocket: true,
  },
  {
    name: "watcher-crash",
    description: "the keeper process killed with SIGKILL right after detection, then restarted",
    crash: true,
  },
  {
    name: "silent-subscription",
    description:
      "the primary endpoint, over WebSocket, answers requests but stops delivering its newHeads subscription (no close, no error)",
    webSocket: true,
    apply: onPrimary(() => ({ kind: "silent-subscription" })),
  },
];
