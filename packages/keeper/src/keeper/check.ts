/**
 * `--check` on the chain: every configured key against the hub it acts on, through the network's endpoint pool. Each
 * read is pinned to the newest block a quorum of endpoints agrees on and taken only when a quorum of them answers the
 * same (`RpcPool.quorumRead`): one endpoint cannot make a key look ready, nor one that is ready look broken. For each
 * protocol's configured action it checks
 * - the role the action's kind needs on the hub (`role` of the kind in `actions/`; the role ids come from the
 *   generated vocabulary), or says that the kind needs none; for a `call` on a contract Cordon did not write, what
 *   the entry says the target requires, and the call simulated from the key at the agreed block by a quorum: it
 *   would go through, or why not in words (a goal already reached, by its `done` check, is said as such);
 * - a balance that pays for the action at its emergency fee ceiling: the gas limit the responder would give it (its
 *   estimate, pinned to the agreed block, plus the responder's margin; the responder's fallback limit when the hub
 *   will not estimate it now) times `emergencyFeeCeilingGwei`, the most the responder bids for a critical finding.
 * For a protocol that watches pending transactions (`mempool`), it checks that a quorum of endpoints traces calls
 * (`debug_traceCall` with the call tracer: without one, no pending simulation counts), says how many give the
 * diff-mode prestate trace the state detectors judge a pending transaction by, and how many show pending transactions
 * at all (a WebSocket subscription, or `eth_pendingTransactions`).
 * Nothing is signed or sent. A network no quorum of endpoints answers for is reported as not checked.
 */
import { formatEther, formatUnits, parseUnits } from "ethers";

import { ACTION_KINDS } from "../actions/index.js";
import type { KeeperConfig, ResolvedDetector, ResolvedNetwork, ResolvedProtocol } from "../config/load.js";
import { type HubRole, kindOf } from "../config/kinds.js";
import type { Secrets } from "../config/secrets.js";
import { hubInterface } from "../contracts/abi.js";
import { CordonHubConstants } from "../contracts/generated/cordon.js";
import type { Response } from "../detectors/types.js";
import {
  decodeRevert,
  encodeResponse,
  explainCallRevert,
  FALLBACK_GAS,
  gasLimitFor,
  worstCaseCost,
} from "../responder/responder.js";
import { QuorumNotReachedError, RpcResponseError } from "../rpc/errors.js";
import { hexNumber, type RpcPool } from "../rpc/pool.js";
import { buildPool } from "./build.js";

export interface ChainCheck {
  network: string;
  /** Whether a quorum of the network's endpoints answered: false means its keys were not checked. */
  reached: boolean;
  /** What was checked and found, one line each (indented for the `--check` report). */
  lines: string[];
  /** What is missing, one line each: a key without its role or its funds, a hub without code, a read no quorum gave. */
  problems: string[];
}

type Action = NonNullable<ResolvedDetector["action"]>;

/** Checks every network's keys; one network's failure does not hide another's results. */
export async function checkOnChain(config: KeeperConfig, secrets: Secrets): Promise<ChainCheck[]> {
  const results: ChainCheck[] = [];
  for (const network of config.networks) {
    const pool = buildPool(network, secrets);
    try {
      results.push(await checkNetwork(network, pool, secrets));
    } finally {
      pool.close();
    }
  }
  return results;
}

async function checkNetwork(network: ResolvedNetwork, pool: RpcPool, secrets: Secrets): Promise<ChainCheck> {
  const result: ChainCheck = { network: network.name, reached: false, lines: [], problems: [] };
  if (!network.protocols.some((p) => p.detectors.some((d) => d.action !== undefined))) {
    result.reached = true;
    result.lines.push(`  network ${network.name}: no action configured, no key to check on the chain`);
    return result;
  }
  const quorumText = `${pool.quorum} of ${pool.endpoints.length} endpoints`;
  await pool.refresh();
  const head = pool.agreedHead;
  if (head === undefined) {
    result.lines.push(
      `  network ${network.name}: NOT CHECKED on the chain: no quorum (${quorumText}) agrees on a block, so no key's role or balance was read`,
    );
    for (const h of pool.health()) {
      result.lines.push(`    endpoint ${h.name}: ${h.status}${h.reason === undefined ? "" : ` (${h.reason})`}`);
    }
    return result;
  }
  const tag = hexNumber(head.number);

  let chainId: number;
  try {
    chainId = Number((await pool.quorumRead<string>("eth_chainId")).result);
  } catch (error) {
    result.lines.push(`  network ${network.name}: NOT CHECKED on the chain: ${quorumFailure(error, quorumText)}`);
    return result;
  }
  result.reached = true;
  result.lines.push(
    `  network ${network.name}: on the chain at block ${head.number} (${head.hash}), agreed by a quorum of ${quorumText}`,
  );
  if (chainId !== network.chainId) {
    result.problems.push(
      `networks.${network.name}: the endpoints serve chainId ${chainId}, not ${network.chainId}: fix the endpoint URLs or the chainId (keys not checked)`,
    );
    return result;
  }

  for (const protocol of network.protocols) {
    if (protocol.mempool !== undefined) await checkMempool(pool, protocol, tag, result);
    const actions = new Map<string, Action>();
    for (const d of protocol.detectors) if (d.action !== undefined) actions.set(d.action.name, d.action);
    if (actions.size === 0) continue;
    result.lines.push(
      `    protocol ${protocol.name}: ${protocol.hub === undefined ? "no hub" : `hub ${protocol.hub}`}`,
    );
    // The contracts the actions send to (the hub, a call's target) must have code: a wrong address is no pause.
    const targets = new Map<string, string>();
    if ([...actions.values()].some((a) => a.response.kind !== "call"))
      targets.set(protocol.hub!, `protocols.${protocol.name}.hub`);
    for (const a of actions.values()) {
      if (a.response.kind === "call") targets.set(a.response.target, `actions.${a.name}.contract`);
    }
    let coded = true;
    for (const [address, field] of targets) {
      try {
        const code = await pool.quorumRead<string>("eth_getCode", [address, tag]);
        if (code.result === "0x") {
          result.problems.push(
            `${field}: ${address} has no contract code on ${network.name} at block ${head.number}: check the address (keys not checked)`,
          );
          coded = false;
        }
      } catch (error) {
        result.problems.push(`${field}: ${quorumFailure(error, quorumText)}`);
        coded = false;
      }
    }
    if (!coded) continue;
    for (const action of actions.values()) {
      await checkAction(pool, protocol, action, secrets, tag, quorumText, result);
    }
  }
  return result;
}

/** Whether the endpoints can feed the mempool stage of `protocol` (see the file's header). */
async function checkMempool(pool: RpcPool, protocol: ResolvedProtocol, tag: string, result: ChainCheck): Promise<void> {
  const target = protocol.hub ?? Object.values(protocol.contracts)[0] ?? "0x0000000000000000000000000000000000000000";
  const call = { from: "0x0000000000000000000000000000000000000001", to: target, data: "0x" };
  const answers = async (method: string, params: unknown[]) =>
    (
      await Promise.all(
        pool.endpoints.map(async (endpoint) => {
          try {
            await endpoint.request(method, params);
            return endpoint.name;
          } catch {
            return undefined;
          }
        }),
      )
    ).filter((name): name is string => name !== undefined);
  const [calls, prestate, pending] = await Promise.all([
    answers("debug_traceCall", [call, tag, { tracer: "callTracer", tracerConfig: { withLog: true } }]),
    answers("debug_traceCall", [call, tag, { tracer: "prestateTracer", tracerConfig: { diffMode: true } }]),
    answers("eth_pendingTransactions", []),
  ]);
  const sockets = pool.endpoints.filter((e) => e.socket !== undefined).map((e) => e.name);
  const feeding = [...new Set([...pending, ...sockets])];
  const of = `of ${pool.endpoints.length} endpoints`;
  const names = (list: string[]) => (list.length === 0 ? "" : ` (${list.join(", ")})`);
  result.lines.push(
    `    protocol ${protocol.name}: mempool: ${calls.length} ${of} trace calls${names(calls)}, ${prestate.length} give the state after a call${names(prestate)}, ${feeding.length} show pending transactions${names(feeding)}`,
  );
  const field = `protocols.${protocol.name}.mempool`;
  if (calls.length < pool.quorum) {
    result.problems.push(
      `${field}: ${calls.length} ${of} answer debug_traceCall with the call tracer, and a pending simulation needs a quorum of ${pool.quorum}: use endpoints that serve the debug namespace, or remove mempool`,
    );
  } else if (prestate.length < pool.quorum) {
    result.lines.push(
      `      the detectors that read state (tvl, invariant, oracle, view) cannot judge pending transactions: ${prestate.length} ${of} give a diff-mode prestate trace, a quorum is ${pool.quorum}`,
    );
  }
  if (feeding.length === 0) {
    result.problems.push(
      `${field}: no endpoint shows pending transactions (none speaks WebSocket for a newPendingTransactions subscription, none answers eth_pendingTransactions): add a ws:// endpoint, or remove mempool`,
    );
  }
}

async function checkAction(
  pool: RpcPool,
  protocol: ResolvedProtocol,
  action: Action,
  secrets: Secrets,
  tag: string,
  quorumText: string,
  result: ChainCheck,
): Promise<void> {
  const wallet = secrets.keys.get(action.key)!;
  const address = wallet.address;
  const who = `keys.${action.key} (${address})`;
  const what = `action ${action.name} (${action.kind})`;
  result.lines.push(`      ${who} for ${what}:`);
  const say = (line: string) => result.lines.push(`        ${line}`);
  const missing = (line: string) => {
    result.problems.push(`${who}: ${line}`);
    say(`MISSING: ${line}`);
  };

  // (1) The role the action's kind needs on the hub; or, for a call, what the target requires and a simulation.
  const role = kindOf(ACTION_KINDS, action.kind).role;
  if (typeof role === "function" && action.response.kind === "call") {
    const requires = (role as (config: unknown) => string | null)(action);
    say(
      `requires: ${requires ?? `not described (the action's \`requires\` says in words what ${action.response.target} requires of the key)`}`,
    );
    await simulateCall(pool, action.response, address, tag, quorumText, say, missing);
  } else if (typeof role === "function") {
    say("role: described by the action");
  } else if (role === null) {
    say(`role: none needed (${action.kind} calls a function of the hub that anyone may call)`);
  } else {
    try {
      const data = hubInterface.encodeFunctionData("hasRole", [roleId(role), address]);
      const read = await pool.quorumRead<string>("eth_call", [{ to: protocol.hub, data }, tag]);
      const [holds] = hubInterface.decodeFunctionResult("hasRole", read.result) as unknown as [boolean];
      if (holds) say(`role: holds ${role} on hub ${protocol.hub}`);
      else missing(`lacks ${role} on hub ${protocol.hub}, which ${what} needs (${grantHint(role, address)})`);
    } catch (error) {
      missing(`its ${role} on hub ${protocol.hub} could not be read: ${quorumFailure(error, quorumText)}`);
    }
  }

  // (2) A balance that pays for the action at the emergency fee ceiling, priced as the responder prices it.
  const ceiling = parseUnits(String(action.emergencyFeeCeilingGwei), "gwei");
  const call = { from: address, to: targetOf(protocol, action.response), data: encodeResponse(action.response) };
  const gas = await gasLimitOf(pool, call, tag, quorumText, protocol.hub);
  const needed = worstCaseCost(gas.limit, ceiling);
  let balance: bigint;
  try {
    balance = BigInt((await pool.quorumRead<string>("eth_getBalance", [address, tag])).result);
  } catch (error) {
    missing(`its balance could not be read: ${quorumFailure(error, quorumText)}`);
    return;
  }
  const pricing = `at ${gwei(ceiling)} gwei (the emergency fee ceiling) x ${gas.limit.toLocaleString("en-US")} gas, ${gas.how}`;
  if (balance >= needed) {
    say(`balance: ${eth(balance)} ETH pays for ${action.kind}: ${eth(needed)} ETH needed ${pricing}`);
  } else {
    missing(
      `balance ${eth(balance)} ETH < ${eth(needed)} ETH needed for ${action.kind} (${action.name}) ${pricing}: send it ${eth(needed - balance)} ETH or more`,
    );
  }
}

/**
 * The gas limit the responder would give `call`: a quorum's estimate at `tag` plus its margin. When the endpoints
 * estimate differently, the highest estimate (the check asks for more, never less); when none will estimate it (the
 * hub reverts it now: no role, already paused, invariants hold), the responder's fallback limit.
 */
async function gasLimitOf(
  pool: RpcPool,
  call: { from: string; to: string; data: string },
  tag: string,
  quorumText: string,
  hub: string | undefined,
): Promise<{ limit: bigint; how: string }> {
  try {
    const read = await pool.quorumRead<string>("eth_estimateGas", [call, tag]);
    return { limit: gasLimitFor(BigInt(read.result)), how: "the estimate plus the responder's 30% margin" };
  } catch (error) {
    if (!(error instanceof QuorumNotReachedError)) throw error;
    const estimates = error.groups.flatMap((g) => {
      try {
        return [BigInt(JSON.parse(g.result) as string)];
      } catch {
        return [];
      }
    });
    if (estimates.length > 0) {
      const highest = estimates.reduce((a, b) => (a > b ? a : b));
      return {
        limit: gasLimitFor(highest),
        how: `the highest estimate (fewer than ${quorumText} agree on one) plus the responder's 30% margin`,
      };
    }
  }
  // No endpoint estimates it: say why in words (one endpoint's revert reason only words the line; it decides nothing).
  let why = "no endpoint would estimate it";
  try {
    await pool.request<string>("eth_estimateGas", [call, tag]);
  } catch (error) {
    if (error instanceof RpcResponseError) {
      why = `${call.to === hub ? "the hub" : "the target"} reverts it now (${decodeRevert(error.data) ?? error.rpcMessage})`;
    }
  }
  return { limit: FALLBACK_GAS, how: `the responder's fallback gas limit: ${why}` };
}

/**
 * A `call` simulated from the key at `tag`: a quorum's `eth_estimateGas` says it would go through; otherwise the
 * revert in words, unless the action's `done` check holds for a quorum at `tag` (already done: a pause of what is
 * paused may revert, and the keeper would skip it).
 */
async function simulateCall(
  pool: RpcPool,
  response: Extract<Response, { kind: "call" }>,
  from: string,
  tag: string,
  quorumText: string,
  say: (line: string) => void,
  missing: (line: string) => void,
): Promise<void> {
  const call = { from, to: response.target, data: response.data };
  try {
    const read = await pool.quorumRead<string>("eth_estimateGas", [call, tag]);
    say(
      `simulated ${response.description} from ${from}: it would go through (${BigInt(read.result).toLocaleString("en-US")} gas, agreed by ${read.agreed.length} endpoints)`,
    );
    return;
  } catch (error) {
    if (!(error instanceof QuorumNotReachedError)) throw error;
  }
  let why = "no quorum of endpoints would simulate it";
  let fix = "";
  try {
    await pool.request<string>("eth_estimateGas", [call, tag]);
  } catch (error) {
    if (error instanceof RpcResponseError) {
      const data = revertData(error.data);
      const explained = data === undefined ? undefined : explainCallRevert(data, from);
      why = explained?.message ?? error.rpcMessage;
      fix = explained?.fix ?? "";
    }
  }
  if (response.done !== undefined) {
    try {
      const done = await pool.quorumRead<string>("eth_call", [
        { to: response.done.target, data: response.done.data },
        tag,
      ]);
      if (done.result.toLowerCase() === response.done.equals) {
        say(
          `simulated ${response.description} from ${from}: it reverts now (${why}), and ${response.done.description} holds: already done, the keeper would skip it`,
        );
        return;
      }
    } catch {
      // the done check is not readable by a quorum: the revert stands
    }
  }
  missing(
    `${response.description} would not go through from ${from}: ${why}${fix === "" ? "" : ` (${fix})`} [${quorumText}]`,
  );
}

function revertData(data: unknown): string | undefined {
  if (typeof data === "object" && data !== null && "data" in data) data = (data as { data: unknown }).data;
  return typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data) ? data : undefined;
}

function targetOf(protocol: ResolvedProtocol, response: Response): string {
  return response.kind === "call" ? response.target : protocol.hub!;
}

function roleId(role: HubRole): string {
  return CordonHubConstants[role];
}

function grantHint(role: HubRole, address: string): string {
  const call = `hub.grantRole(${role}, ${address})`;
  if (role === "GUARDIAN_ROLE") {
    return `governance grants it: npx hardhat --network <network> cordon guardians add --account ${address}, i.e. ${call}`;
  }
  return `governance grants it: ${call}`;
}

function quorumFailure(error: unknown, quorumText: string): string {
  if (error instanceof QuorumNotReachedError) {
    return `no quorum (${quorumText}) gave the same answer${error.details === undefined || error.details === "" ? "" : ` (${error.details})`}`;
  }
  return (error as Error).message.split("\n")[0]!;
}

function eth(wei: bigint): string {
  return trim(formatEther(wei));
}

function gwei(wei: bigint): string {
  return trim(formatUnits(wei, "gwei"));
}

function trim(decimal: string): string {
  return decimal.endsWith(".0") ? decimal.slice(0, -2) : decimal;
}
