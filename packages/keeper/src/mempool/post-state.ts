/**
 * The state after a pending transaction, for the detectors that read state (tvl, invariant, oracle, `view`): they
 * judge the block the transaction would be mined in, which does not exist yet.
 *
 * The post-state is the diff `debug_traceCall` gives with `{ tracer: "prestateTracer", tracerConfig: { diffMode: true
 * } }` on top of the simulation's block (`post`: changed balances, nonces, code and storage; a slot in `pre` but not
 * in `post` was cleared; an account in `pre` only was deleted). It counts only when a quorum of endpoints traced the
 * same diff, asked quorum-first like the simulation; endpoints whose diff differs from the quorum's are disputed.
 * Checked on this machine: `hardhat node` (EDR 0.22) and anvil both serve the diff-mode prestate tracer and `eth_call`
 * with a state override (`stateDiff`, `balance`, `nonce`, `code`); neither takes an override in `eth_getBalance`,
 * `eth_getStorageAt` or `eth_getCode`, which are served from the agreed diff (over a quorum read of the head) instead.
 *
 * {@link pendingStateView} gives the detectors a pool whose reads pinned to the pending block are served from that
 * post-state: `eth_call` as a quorum read on the simulation's block with the diff as state override, balances, nonces,
 * code and storage from the diff or the head. Every other read passes through unchanged. The post-state is traced
 * only when a detector first asks for state at the pending block (once per pending transaction): a transaction whose
 * detectors only judge logs costs no extra trace. What cannot be served at the pending block (a proof, a block, logs by
 * number) fails with {@link PendingStateUnavailableError}, as does every read when no quorum agrees on a post-state.
 */
import { CordonError } from "../errors.js";
import type { BlockHead } from "../rpc/endpoint.js";
import { hexNumber, type QuorumResult, type RpcPool } from "../rpc/pool.js";
import type { PendingTx } from "./pending.js";
import { quorumTrace } from "./simulate.js";

/** One account's state after the transaction, where it differs from the block it was simulated on. */
export interface PostAccount {
  balance?: string;
  nonce?: string;
  code?: string;
  /** Changed slots (a cleared slot is all zeros), 32-byte hex keys and values, lowercase. */
  storage: Record<string, string>;
  /** The transaction deletes the account (it was in `pre` only). */
  deleted?: true;
}

export interface PostState {
  /** The block the transaction was traced on top of. */
  onBlock: number;
  /** Changed accounts by lowercase address, sorted. */
  accounts: Record<string, PostAccount>;
  /** The endpoints whose diffs agreed. */
  agreed: string[];
}

/** A read the detectors asked at the pending block that cannot be served there. */
export class PendingStateUnavailableError extends CordonError {
  constructor(message: string, details?: string) {
    super(message, details === undefined ? {} : { details });
  }
}

interface TracedAccount {
  balance?: string;
  nonce?: number | string;
  code?: string;
  storage?: Record<string, string>;
}

interface PrestateDiff {
  pre?: Record<string, TracedAccount>;
  post?: Record<string, TracedAccount>;
}

const quantity = (v: number | string) => hexNumber(BigInt(v));
const word = (v: string) => `0x${BigInt(v).toString(16).padStart(64, "0")}`;
const ZERO_WORD = word("0x0");

/** A diff-mode prestate trace as the changed accounts, normalised (lowercase, sorted, quantities unpadded). */
export function postStateOf(diff: PrestateDiff): Record<string, PostAccount> {
  if (typeof diff !== "object" || diff === null || typeof diff.post !== "object" || diff.post === null) {
    throw new PendingStateUnavailableError("not a diff-mode prestate trace");
  }
  const pre = Object.fromEntries(Object.entries(diff.pre ?? {}).map(([a, v]) => [a.toLowerCase(), v]));
  const post = Object.fromEntries(Object.entries(diff.post).map(([a, v]) => [a.toLowerCase(), v]));
  const accounts: Record<string, PostAccount> = {};
  for (const address of [...new Set([...Object.keys(pre), ...Object.keys(post)])].sort()) {
    const after = post[address];
    if (after === undefined) {
      accounts[address] = { balance: "0x0", nonce: "0x0", code: "0x", storage: {}, deleted: true };
      continue;
    }
    const storage: Record<string, string> = {};
    // A slot in `pre` that `post` leaves out was cleared (the tracer omits zero values).
    for (const slot of Object.keys(pre[address]?.storage ?? {})) storage[word(slot)] = ZERO_WORD;
    for (const [slot, value] of Object.entries(after.storage ?? {})) storage[word(slot)] = word(value);
    accounts[address] = {
      ...(after.balance === undefined ? {} : { balance: quantity(after.balance) }),
      ...(after.nonce === undefined ? {} : { nonce: quantity(after.nonce) }),
      ...(after.code === undefined ? {} : { code: after.code.toLowerCase() }),
      storage: Object.fromEntries(Object.entries(storage).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }
  return accounts;
}

/**
 * The state after `tx` on top of block `onBlock`, as a quorum of the pool's endpoints traces it (quorum-first, the
 * rest asked only when those disagree or fail); undefined when no quorum agrees (too few endpoints serve the tracer,
 * or they differ). Endpoints whose diff differs from the quorum's are disputed.
 */
export async function tracePostState(pool: RpcPool, tx: PendingTx, onBlock: number): Promise<PostState | undefined> {
  const agreed = await quorumTrace(
    pool,
    tx,
    onBlock,
    { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
    (answer) => postStateOf(answer as PrestateDiff),
    (accounts) => JSON.stringify(accounts),
    "post-state",
  );
  return agreed === undefined ? undefined : { onBlock, accounts: agreed.value, agreed: agreed.endpoints };
}

/** The post-state as `eth_call`'s state override (its third parameter). */
export function stateOverride(post: PostState): Record<string, Record<string, unknown>> {
  const override: Record<string, Record<string, unknown>> = {};
  for (const [address, account] of Object.entries(post.accounts)) {
    override[address] = {
      ...(account.balance === undefined ? {} : { balance: account.balance }),
      ...(account.nonce === undefined ? {} : { nonce: account.nonce }),
      ...(account.code === undefined ? {} : { code: account.code }),
      ...(account.deleted
        ? { state: {} }
        : Object.keys(account.storage).length > 0
          ? { stateDiff: account.storage }
          : {}),
    };
  }
  return override;
}

export interface PendingStateViewOptions {
  /** The block the pending transaction would be mined in (the simulation's block + 1). */
  pendingBlock: number;
  /** Its stand-in header (what `agreedBlock`/`agreedHash` answer for it). */
  head: BlockHead;
  /** The post-state, asked for on the first state read at the pending block (and once only). */
  postState: () => Promise<PostState | undefined>;
}

/** The reads that take a block as their last parameter and are served at the pending block. */
const STATE_READS = new Set([
  "eth_call",
  "eth_getBalance",
  "eth_getCode",
  "eth_getTransactionCount",
  "eth_getStorageAt",
]);

/**
 * A read view of `pool` for judging a pending transaction: every read pinned to `pendingBlock` is served from the
 * post-state (see this file's header), every other read and every other member is the pool's own.
 */
export function pendingStateView(pool: RpcPool, options: PendingStateViewOptions): RpcPool {
  const pendingHex = hexNumber(options.pendingBlock);
  let traced: Promise<PostState> | undefined;
  const post = (): Promise<PostState> =>
    (traced ??= options.postState().then((state) => {
      if (state === undefined) {
        throw new PendingStateUnavailableError(
          `no quorum of endpoints agrees on the state after the pending transaction`,
          "the endpoints do not serve debug_traceCall's prestateTracer in diff mode, or their diffs differ",
        );
      }
      return state;
    }));
  const atPending = (v: unknown) => typeof v === "string" && v.toLowerCase() === pendingHex;
  const mentionsPending = (params: unknown[]) =>
    params.some(
      (p) =>
        atPending(p) ||
        (typeof p === "object" &&
          p !== null &&
          ["fromBlock", "toBlock", "blockNumber"].some((k) => atPending((p as Record<string, unknown>)[k]))),
    );

  /** One read at the pending block; `read` is the pool's own quorum read (or plain request). */
  const serve = async <T>(
    method: string,
    params: unknown[],
    read: (method: string, params: unknown[]) => Promise<QuorumResult<unknown>>,
  ): Promise<QuorumResult<T>> => {
    if (!STATE_READS.has(method) || !atPending(params.at(-1))) {
      throw new PendingStateUnavailableError(`${method} cannot be served at pending block ${options.pendingBlock}`);
    }
    const state = await post();
    const onHex = hexNumber(state.onBlock);
    const own = (result: unknown): QuorumResult<T> => ({
      result: result as T,
      agreed: state.agreed,
      disagreed: [],
      failed: [],
    });
    if (method === "eth_call") {
      if (params.length !== 2) {
        throw new PendingStateUnavailableError("an eth_call with its own state override at the pending block");
      }
      return (await read("eth_call", [params[0], onHex, stateOverride(state)])) as QuorumResult<T>;
    }
    const account = state.accounts[String(params[0]).toLowerCase()];
    const field =
      method === "eth_getBalance"
        ? account?.balance
        : method === "eth_getTransactionCount"
          ? account?.nonce
          : method === "eth_getCode"
            ? account?.code
            : (account?.storage[word(String(params[1]))] ?? (account?.deleted ? ZERO_WORD : undefined));
    if (field !== undefined) return own(field);
    return (await read(method, [...params.slice(0, -1), onHex])) as QuorumResult<T>;
  };

  const view: Partial<RpcPool> = {
    quorumRead: async <T>(method: string, params: unknown[] = []): Promise<QuorumResult<T>> => {
      if (!mentionsPending(params)) return await pool.quorumRead<T>(method, params);
      return await serve<T>(method, params, (m, p) => pool.quorumRead(m, p));
    },
    request: async <T>(method: string, params: unknown[] = []): Promise<T> => {
      if (!mentionsPending(params)) return await pool.request<T>(method, params);
      const answer = await serve<T>(method, params, async (m, p) => ({
        result: await pool.request(m, p),
        agreed: [],
        disagreed: [],
        failed: [],
      }));
      return answer.result;
    },
    agreedBlock: async (number: number) =>
      number === options.pendingBlock ? options.head : await pool.agreedBlock(number),
    agreedHash: async (number: number) =>
      number === options.pendingBlock ? options.head.hash : await pool.agreedHash(number),
  };
  return new Proxy(pool, {
    get(target, property) {
      if (Object.prototype.hasOwnProperty.call(view, property)) return view[property as keyof typeof view];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
