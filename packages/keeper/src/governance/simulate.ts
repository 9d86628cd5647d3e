/**
 * The simulation every state-changing task runs before it sends anything: an `eth_call` and a gas estimate from the
 * account the target will see as the sender (the signer, the Safe, or the timelock), with a revert decoded into
 * plain words. A failed simulation is the end of the task: nothing is sent.
 */
import { type Provider, isCallException } from "ethers";

import { governanceHubInterface } from "./abi.js";
import { type RevertContext, type RevertExplanation, explainRevert } from "./revert.js";

export interface SimulatedCall {
  /** The account the target sees as `msg.sender`. */
  from: string;
  to: string;
  data: string;
  value?: bigint;
}

export type Simulation =
  | { ok: true; call: SimulatedCall; gas: bigint; returnData: string; blockNumber: number }
  | { ok: false; call: SimulatedCall; revert: RevertExplanation; blockNumber: number };

/**
 * Simulates `call` at the latest block. `hub` (when given) lets a refused transition say when a running guardian
 * pause ends. Errors other than a revert (an unreachable endpoint) are thrown as they are.
 */
export async function simulate(provider: Provider, call: SimulatedCall, hub?: string): Promise<Simulation> {
  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("the endpoint returned no latest block");
  const request = { from: call.from, to: call.to, data: call.data, value: call.value ?? 0n, blockTag: block.number };
  try {
    const returnData = await provider.call(request);
    const gas = await provider.estimateGas({ ...request, blockTag: "latest" });
    return { ok: true, call, gas, returnData, blockNumber: block.number };
  } catch (error) {
    if (!isCallException(error)) throw error;
    const context: RevertContext = { now: BigInt(block.timestamp) };
    if (hub !== undefined) context.pauseExpiry = await pauseExpiry(provider, hub, block.number);
    return { ok: false, call, revert: explainRevert(error.data ?? "0x", context), blockNumber: block.number };
  }
}

/** The running protocol-wide guardian pause's expiry, or undefined when none runs (or `hub` is not a hub). */
async function pauseExpiry(provider: Provider, hub: string, blockTag: number): Promise<bigint | undefined> {
  try {
    const data = governanceHubInterface.encodeFunctionData("currentSync");
    const raw = await provider.call({ to: hub, data, blockTag });
    const [sync] = governanceHubInterface.decodeFunctionResult("currentSync", raw) as unknown as [
      { stateExpires: boolean; expiry: bigint },
    ];
    return sync.stateExpires ? sync.expiry : undefined;
  } catch {
    return undefined;
  }
}
