/**
 * Governance through an OpenZeppelin TimelockController (5.x): a proposer schedules the call with the timelock's
 * minimum delay, an executor executes it once the delay has passed, and the hub sees the timelock as the sender. A
 * task therefore runs twice: `--via timelock` schedules and says when the call becomes executable, and the same
 * command with `--execute` executes it then. Each run simulates the call from the timelock's address (`execute` in
 * executor.ts) and the timelock transaction itself (schedule or execute) from the account that will send it, and
 * refuses an operation in the wrong state (scheduled twice, executed early or twice) before anything is sent. A plan
 * of several calls is one batch operation (`scheduleBatch`, then `executeBatch`): they run together or not at all.
 */
import {
  AbiCoder,
  Contract,
  type Provider,
  type Signer,
  ZeroAddress,
  ZeroHash,
  getAddress,
  id,
  isHexString,
  keccak256,
} from "ethers";

import { CordonError } from "../errors.js";
import { OPERATION_STATES, ROLES, timelockInterface } from "./abi.js";
import { type Executor, type GovernanceCall, type GovernancePlan, planCalls, planLabel } from "./executor.js";
import { formatDuration } from "./revert.js";
import { simulate } from "./simulate.js";

export type TimelockPhase = "schedule" | "execute";
export type OperationState = (typeof OPERATION_STATES)[number];

export interface TimelockOperation {
  /** The operation id: `hashOperation(target, value, data, predecessor, salt)`, or `hashOperationBatch` of a batch. */
  id: string;
  state: OperationState;
  /** When it becomes executable (unix seconds), or null when it is not scheduled or already done. */
  readyAt: bigint | null;
  /** The latest block's timestamp, which `state` was read at. */
  now: bigint;
}

/** `--salt` as the bytes32 the timelock takes: a 32-byte hex value as it is, other text hashed, empty as zero. */
export function parseSalt(input: string): string {
  if (input === "") return ZeroHash;
  return isHexString(input, 32) ? input.toLowerCase() : id(input);
}

/** `at <ISO time> (in 1 min)`, or `(now)` once it has passed. */
function at(timestamp: bigint, now: bigint): string {
  const iso = new Date(Number(timestamp) * 1000).toISOString();
  return timestamp > now ? `at ${iso} (in ${formatDuration(timestamp - now)})` : `at ${iso} (now)`;
}

/**
 * Executes through a TimelockController. `phase` says what this run does: schedule the call, or execute it once
 * ready. The sending account is `from`, or else the first of `accounts` holding the phase's role (PROPOSER_ROLE, or
 * EXECUTOR_ROLE unless the role is open to anyone). `salt` (default zero) tells apart repeated runs of one call.
 */
export class TimelockExecutor implements Executor {
  readonly kind = "timelock";
  readonly salt: string;
  readonly predecessor = ZeroHash;
  private readonly timelock: Contract;
  private readonly provider: Provider;
  private readonly from: Signer | undefined;
  /** The block of the last transaction `send` mined. */
  private sentIn: number | undefined;

  constructor(
    readonly timelockAddress: string,
    private readonly accounts: Signer[],
    readonly phase: TimelockPhase,
    options: { from?: Signer; salt?: string } = {},
  ) {
    const runner = options.from ?? accounts[0];
    if (runner?.provider == null) {
      throw new CordonError("a timelock execution needs an account with a provider", {
        details: "configure `accounts` for the network (a proposer's or executor's key) in hardhat.config.ts",
      });
    }
    this.provider = runner.provider;
    this.from = options.from;
    this.salt = options.salt ?? ZeroHash;
    this.timelock = new Contract(getAddress(timelockAddress), timelockInterface, this.provider);
  }

  async sender(): Promise<string> {
    return getAddress(this.timelockAddress);
  }

  async describeSigners(): Promise<string> {
    const delay = (await this.timelock.getFunction("getMinDelay")()) as bigint;
    const open = await this.executorRoleOpen();
    const name = async (phase: TimelockPhase, role: string) => {
      const account = await this.account(phase);
      return account === undefined
        ? `an account with ${role} (none of the network's accounts)`
        : await account.getAddress();
    };
    const executor = `${await name("execute", "EXECUTOR_ROLE")} (${open ? "EXECUTOR_ROLE is open to anyone" : "EXECUTOR_ROLE"})`;
    return (
      `TimelockController ${await this.sender()} (minimum delay ${formatDuration(delay)}): ` +
      `${await name("schedule", "PROPOSER_ROLE")} schedules (PROPOSER_ROLE), then after the delay ${executor} executes`
    );
  }

  /**
   * The timelock operation `plan` is with this executor's salt: its id, state and when it is executable, at block
   * `blockNumber` (default: the latest; after sending, the transaction's block, which a provider cannot have cached).
   */
  async operation(plan: GovernancePlan, blockNumber?: number): Promise<TimelockOperation> {
    const calls = planCalls(plan);
    const coder = AbiCoder.defaultAbiCoder();
    const operationId =
      calls.length === 1
        ? keccak256(
            coder.encode(
              ["address", "uint256", "bytes", "bytes32", "bytes32"],
              [calls[0]!.to, calls[0]!.value ?? 0n, calls[0]!.data, this.predecessor, this.salt],
            ),
          )
        : keccak256(
            coder.encode(
              ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
              [
                calls.map((c) => c.to),
                calls.map((c) => c.value ?? 0n),
                calls.map((c) => c.data),
                this.predecessor,
                this.salt,
              ],
            ),
          );
    const block = await this.provider.getBlock(blockNumber ?? "latest");
    if (block === null) throw new Error(`the endpoint returned no block ${blockNumber ?? "latest"}`);
    const blockTag = block.number;
    const state =
      OPERATION_STATES[Number(await this.timelock.getFunction("getOperationState")(operationId, { blockTag }))];
    if (state === undefined)
      throw new CordonError(`the timelock ${await this.sender()} reports an unknown operation state`);
    const timestamp = (await this.timelock.getFunction("getTimestamp")(operationId, { blockTag })) as bigint;
    const readyAt = state === "Waiting" || state === "Ready" ? timestamp : null;
    return { id: operationId, state, readyAt, now: BigInt(block.timestamp) };
  }

  async check(plan: GovernancePlan): Promise<void> {
    const call = { label: planLabel(plan) };
    const op = await this.operation(plan);
    const timelock = await this.sender();
    const ready = op.readyAt === null ? "" : at(op.readyAt, op.now);
    const refuse = (message: string, fix: string) => new CordonError(message, { details: `${fix}. Nothing was sent.` });
    if (op.state === "Done") {
      throw refuse(
        `${call.label} already ran through the timelock ${timelock} (operation ${op.id})`,
        "to run the same call again, schedule it with a new --salt (any text)",
      );
    }
    if (this.phase === "schedule" && op.state !== "Unset") {
      throw refuse(
        `${call.label} is already scheduled on the timelock ${timelock} (operation ${op.id}), executable ${ready}`,
        `run the same command with --execute ${op.state === "Ready" ? "now" : "after that"}`,
      );
    }
    if (this.phase === "execute" && op.state === "Unset") {
      throw refuse(
        `${call.label} is not scheduled on the timelock ${timelock} (operation ${op.id}, salt ${this.salt})`,
        "schedule it first: run the same command without --execute (with the same --salt, if any)",
      );
    }
    if (this.phase === "execute" && op.state === "Waiting") {
      throw refuse(
        `${call.label} is scheduled on the timelock ${timelock} but not executable until ${ready.slice(3)}`,
        "run the same command with --execute again after that (on a test chain, advance time with evm_increaseTime)",
      );
    }
    const signer = await this.sendingAccount();
    const from = getAddress(await signer.getAddress());
    const simulation = await simulate(this.provider, { from, to: timelock, ...(await this.transaction(plan)) });
    if (!simulation.ok) {
      throw new CordonError(
        `${this.phase} of ${call.label} on the timelock would fail from ${from}: ${simulation.revert.message}`,
        {
          details: `${simulation.revert.fix}. Nothing was sent (simulated at block ${simulation.blockNumber}).`,
        },
      );
    }
  }

  async send(plan: GovernancePlan): Promise<string> {
    const signer = await this.sendingAccount();
    const tx = await signer.sendTransaction({ to: await this.sender(), ...(await this.transaction(plan)) });
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) {
      throw new CordonError(`${this.phase} of ${planLabel(plan)} on the timelock failed on chain (${tx.hash})`);
    }
    this.sentIn = receipt.blockNumber;
    return tx.hash;
  }

  async afterSend(plan: GovernancePlan): Promise<string> {
    const op = await this.operation(plan, this.sentIn);
    if (this.phase === "execute") return `executed timelock operation ${op.id}: ${planLabel(plan)} is done`;
    return (
      `scheduled on the timelock as operation ${op.id}; NOT executed yet: it becomes executable ` +
      `${op.readyAt === null ? "after the delay" : at(op.readyAt, op.now)}. Then run the same command with --execute to execute it.`
    );
  }

  /**
   * The timelock transaction of this phase: `schedule` with the minimum delay, or `execute` with the call's value; for
   * several calls `scheduleBatch` and `executeBatch` (with the sum of their values).
   */
  private async transaction(plan: GovernancePlan): Promise<{ data: string; value: bigint }> {
    const calls: GovernanceCall[] = planCalls(plan);
    const tail = [this.predecessor, this.salt];
    const delay = async () => (await this.timelock.getFunction("getMinDelay")()) as bigint;
    if (calls.length > 1) {
      const values = calls.map((c) => c.value ?? 0n);
      const batch = [calls.map((c) => c.to), values, calls.map((c) => c.data), ...tail];
      if (this.phase === "execute") {
        const value = values.reduce((sum, v) => sum + v, 0n);
        return { data: timelockInterface.encodeFunctionData("executeBatch", batch), value };
      }
      return { data: timelockInterface.encodeFunctionData("scheduleBatch", [...batch, await delay()]), value: 0n };
    }
    const call = calls[0]!;
    const value = call.value ?? 0n;
    if (this.phase === "execute") {
      const args = [call.to, value, call.data, ...tail];
      return { data: timelockInterface.encodeFunctionData("execute", args), value };
    }
    const args = [call.to, value, call.data, ...tail, await delay()];
    return { data: timelockInterface.encodeFunctionData("schedule", args), value: 0n };
  }

  private async executorRoleOpen(): Promise<boolean> {
    return (await this.timelock.getFunction("hasRole")(ROLES.EXECUTOR_ROLE, ZeroAddress)) as boolean;
  }

  /** `from` for this run's phase, or the first account holding the phase's role (any, if the role is open). */
  private async account(phase: TimelockPhase): Promise<Signer | undefined> {
    if (this.from !== undefined && phase === this.phase) return this.from;
    if (phase === "execute" && (await this.executorRoleOpen())) return this.accounts[0];
    const role = phase === "schedule" ? ROLES.PROPOSER_ROLE : ROLES.EXECUTOR_ROLE;
    for (const account of this.accounts) {
      if ((await this.timelock.getFunction("hasRole")(role, await account.getAddress())) as boolean) return account;
    }
    return undefined;
  }

  private async sendingAccount(): Promise<Signer> {
    const account = await this.account(this.phase);
    if (account !== undefined) return account;
    const role = this.phase === "schedule" ? "PROPOSER_ROLE" : "EXECUTOR_ROLE";
    throw new CordonError(`none of the network's accounts holds ${role} on the timelock ${await this.sender()}`, {
      details: `configure the network with the key of an account that holds ${role}, or pass it with --from. Nothing was sent.`,
    });
  }
}
