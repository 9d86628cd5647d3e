/**
 * What a pending transaction would do if it were mined on top of a given block: its calls, the contracts it reaches
 * and the logs it would emit, from `debug_traceCall` with the call tracer (`withLog`). A simulation counts only when
 * a quorum of endpoints traced it the same way (same outcome, same logs); one endpoint's trace decides nothing, so a
 * lying endpoint can neither invent an exploit to make the keeper pause nor hide one. Endpoints whose trace differs
 * from the quorum's are disputed. The state after it (for detectors that read state) is traced separately, and only
 * when a detector asks for it: `post-state.ts`.
 */
import type { Log } from "../follower/logs.js";
import { gather, hexNumber, type RpcPool } from "../rpc/pool.js";
import type { PendingTx } from "./pending.js";

export interface Simulation {
  /** The transaction as a whole would revert. */
  reverted: boolean;
  /** The logs it would emit, in order (those of reverted frames left out), as if mined in `blockNumber`. */
  logs: Log[];
  /** Every contract a call of it reaches, lowercase, the transaction's own `to` first. */
  touched: string[];
  gasUsed: bigint;
  /** The block it was simulated on top of. */
  onBlock: number;
  /** The endpoints whose traces agreed. */
  agreed: string[];
}

interface CallFrame {
  to?: string;
  error?: string;
  gasUsed?: string;
  calls?: CallFrame[];
  logs?: { address: string; topics?: string[]; data?: string; position?: string | number }[];
}

/** The block the simulated logs are dated in: the next one. Their block hash is unknown: all zeros. */
const PENDING_HASH = `0x${"0".repeat(64)}`;

/** Walks a call tracer frame: its logs in execution order (a reverted frame's are dropped) and the contracts it reaches. */
export function flatten(frame: CallFrame, blockNumber: number, txHash: string): { logs: Log[]; touched: string[] } {
  const logs: Log[] = [];
  const touched: string[] = [];
  const walk = (f: CallFrame): Log[] => {
    if (typeof f.to === "string" && !touched.includes(f.to.toLowerCase())) touched.push(f.to.toLowerCase());
    const own = (f.logs ?? []).map((l) => ({ log: l, position: Number(l.position ?? 0) }));
    const out: Log[] = [];
    const calls = f.calls ?? [];
    for (let i = 0; i <= calls.length; i++) {
      for (const { log } of own.filter((o) => o.position === i)) {
        out.push({
          address: log.address.toLowerCase(),
          topics: (log.topics ?? []).map((t) => t.toLowerCase()),
          data: log.data ?? "0x",
          blockNumber,
          blockHash: PENDING_HASH,
          transactionHash: txHash,
          logIndex: 0,
        });
      }
      if (i < calls.length) out.push(...walk(calls[i]!));
    }
    return f.error === undefined ? out : [];
  };
  logs.push(...walk(frame));
  logs.forEach((l, i) => (l.logIndex = i));
  return { logs, touched };
}

/** The call object `debug_traceCall` takes for `tx` (no gas price: the trace pays no fee, so no coinbase changes). */
export function callOf(tx: PendingTx): Record<string, string> {
  return {
    from: tx.from,
    ...(tx.to === null ? {} : { to: tx.to }),
    data: tx.input,
    value: hexNumber(tx.value),
    gas: hexNumber(tx.gas),
  };
}

/**
 * Traces `tx` on top of block `onBlock` with `tracer` on the pool's healthy endpoints, and returns what a quorum of
 * them traced alike (`read` turns an answer into a value, `keyOf` says which values are alike), or undefined when no
 * quorum does. A quorum is asked first; the others only if those do not agree (a pending exploit is a race, and every
 * trace asked of a node slows the others). Endpoints whose trace differs from the quorum's are disputed (`what` says
 * what they traced).
 */
export async function quorumTrace<T>(
  pool: RpcPool,
  tx: PendingTx,
  onBlock: number,
  tracer: Record<string, unknown>,
  read: (answer: unknown) => T,
  keyOf: (value: T) => string,
  what: string,
): Promise<{ value: T; endpoints: string[] } | undefined> {
  const params = [callOf(tx), hexNumber(onBlock), tracer];
  const answers = new Map<string, { value: T; endpoints: string[] }>();
  let agreed: { value: T; endpoints: string[] } | undefined;
  const healthy = pool.healthy();
  const ask = async (endpoint: (typeof healthy)[number]) => {
    let value: T;
    try {
      value = read(await endpoint.request<unknown>("debug_traceCall", params));
    } catch {
      return; // no such tracer there, down, or not a trace: the others may still make a quorum
    }
    const key = keyOf(value);
    const entry = answers.get(key) ?? { value, endpoints: [] };
    entry.endpoints.push(endpoint.name);
    answers.set(key, entry);
    if (agreed === undefined && entry.endpoints.length >= pool.quorum) agreed = entry;
  };
  await Promise.all(healthy.slice(0, pool.quorum).map(ask));
  if (agreed === undefined) await gather(healthy.slice(pool.quorum).map(ask), () => agreed !== undefined, 0);
  if (agreed === undefined) return undefined;
  for (const [, entry] of answers) {
    if (entry !== agreed) for (const name of entry.endpoints) pool.dispute(name, `${what} of pending ${tx.hash}`);
  }
  return agreed;
}

/**
 * Simulates `tx` on top of block `onBlock` (a quorum-agreed block) on the pool's healthy endpoints; the simulation a
 * quorum of them agrees on, or undefined when none does (too few endpoints trace calls, or they disagree).
 */
export async function simulatePending(pool: RpcPool, tx: PendingTx, onBlock: number): Promise<Simulation | undefined> {
  const agreed = await quorumTrace(
    pool,
    tx,
    onBlock,
    { tracer: "callTracer", tracerConfig: { withLog: true } },
    (answer) => {
      const frame = answer as CallFrame;
      const { logs, touched } = flatten(frame, onBlock + 1, tx.hash);
      return {
        reverted: frame.error !== undefined,
        logs,
        touched,
        gasUsed: BigInt(frame.gasUsed ?? "0x0"),
        onBlock,
        agreed: [],
      } satisfies Simulation;
    },
    (simulation) => JSON.stringify([simulation.reverted, simulation.logs.map((l) => [l.address, l.topics, l.data])]),
    "trace",
  );
  return agreed === undefined ? undefined : { ...agreed.value, agreed: agreed.endpoints };
}
