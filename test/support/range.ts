/** A one-block range as the follower would hand it to detectors, built from a real node's block. */
import type { BlockRange } from "@cordon/keeper/follower/follower.js";
import { parseHead } from "@cordon/keeper/rpc/endpoint.js";
import type { HardhatNode } from "@cordon/testkit/hardhat-node.js";

/** Block `number` (default: the latest) as a range with no logs: for detectors that read state, not logs. */
export async function blockRange(node: HardhatNode, number?: number): Promise<BlockRange> {
  const tag = number === undefined ? "latest" : `0x${number.toString(16)}`;
  const head = parseHead("node", await node.rpc("eth_getBlockByNumber", [tag, false]));
  return { from: head.number, to: head.number, head, logs: [] };
}
