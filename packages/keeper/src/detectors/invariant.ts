/** A protected contract's invariant check, read from a quorum of endpoints at the range's last block. */
import { checkpointedInterface } from "../contracts/abi.js";
import { hexNumber } from "../rpc/pool.js";
import type { Detector, DetectorContext, DetectorFinding } from "./types.js";

export interface InvariantOptions {
  name?: string;
  /** The protected contract (implements `checkInvariants()`). */
  target: string;
}

export function invariantDetector(options: InvariantOptions): Detector {
  const name = options.name ?? "invariant";
  return {
    name,
    async evaluate({ pool, range }: DetectorContext): Promise<DetectorFinding[]> {
      const data = checkpointedInterface.encodeFunctionData("checkInvariants");
      const read = await pool.quorumRead<string>("eth_call", [{ to: options.target, data }, hexNumber(range.to)]);
      const code = BigInt(read.result);
      if (code === 0n) return [];
      return [
        {
          blockNumber: range.to,
          blockHash: range.head.hash,
          detector: name,
          severity: "critical",
          summary: `${options.target} reports invariant code ${code} at block ${range.to}`,
          data: { target: options.target, code: code.toString(), agreed: read.agreed },
          // Anyone may trip on a failing invariant: no role is needed, so this works even without a guardian key.
          response: { kind: "tripOnInvariant", target: options.target },
        },
      ];
    },
  };
}
