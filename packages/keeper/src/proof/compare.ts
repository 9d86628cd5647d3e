/**
 * Each endpoint's own `eth_call` against the proven result: an endpoint that answers anything else lied (a revert
 * where the proven call returned, other return data, or return data where the proven call reverted).
 */
import { RpcResponseError } from "../rpc/errors.js";
import { hexNumber } from "../rpc/pool.js";
import type { Endpoint } from "../rpc/endpoint.js";
import type { CallRequest, ProvenCallResult } from "./call.js";
import type { EndpointLedger } from "./ledger.js";

export type CallAnswer =
  { status: "agrees" } | { status: "differs"; answer: string } | { status: "failed"; error: string };

/**
 * Asks every endpoint for `request` at the proven block and compares. Each disagreement is recorded in `ledger` as
 * a lie (labelled `label`, e.g. `vault.stateDigest()`); failures are recorded as failures.
 */
export async function compareCalls(
  endpoints: readonly Endpoint[],
  request: CallRequest,
  proven: ProvenCallResult,
  ledger: EndpointLedger,
  label = `eth_call ${request.to} ${request.data.slice(0, 10)}`,
): Promise<Record<string, CallAnswer>> {
  const answers: Record<string, CallAnswer> = {};
  const tag = hexNumber(proven.block.number);
  const call = { to: request.to, data: request.data, ...(request.from === undefined ? {} : { from: request.from }) };
  await Promise.all(
    endpoints.map(async (endpoint) => {
      let answer: string;
      try {
        answer = `return ${(await endpoint.request<string>("eth_call", [call, tag])).toLowerCase()}`;
      } catch (error) {
        if (error instanceof RpcResponseError && typeof revertData(error.data) === "string") {
          answer = `revert ${revertData(error.data)!.toLowerCase()}`;
        } else if (error instanceof RpcResponseError && proven.reverted && /revert/i.test(error.message)) {
          answer = `revert ${proven.returnData}`; // a revert whose data the endpoint does not send: take it as agreeing
        } else {
          ledger.failed(endpoint.name, error);
          answers[endpoint.name] = { status: "failed", error: (error as Error).message.split("\n")[0]! };
          return;
        }
      }
      const expected = `${proven.reverted ? "revert" : "return"} ${proven.returnData.toLowerCase()}`;
      if (answer === expected) {
        ledger.verified(endpoint.name);
        answers[endpoint.name] = { status: "agrees" };
      } else {
        ledger.lied(endpoint.name, `${label} (eth_call): answered ${short(answer)}, proven ${short(expected)}`);
        answers[endpoint.name] = { status: "differs", answer };
      }
    }),
  );
  return answers;
}

/** The revert data in an error envelope's `data` (a hex string, or `{ data }` as some nodes send it). */
function revertData(data: unknown): string | undefined {
  if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data;
  if (typeof data === "object" && data !== null && "data" in data) return revertData((data as { data: unknown }).data);
  return undefined;
}

const short = (value: string) => (value.length > 80 ? `${value.slice(0, 40)}…${value.slice(-12)}` : value);
