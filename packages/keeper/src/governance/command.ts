/**
 * What every governance and guardian task does, whatever its action: find the deployment, choose the executor
 * (`--via direct|safe|timelock`), build the hub call, simulate it from the account the hub will see, print what will
 * happen and who must sign, then send it (or stop on `--dry-run`, or write a Safe Transaction Builder batch on
 * `--export`; a timelock run schedules, and a second run with `--execute` executes once the delay has passed).
 * The Hardhat tasks in `tasks/actions/` are thin adapters over this.
 */
import { writeFileSync } from "node:fs";

import { type Provider, type Signer, getAddress } from "ethers";

import { CordonError } from "../errors.js";
import { CordonHubConstants } from "../contracts/generated/cordon.js";
import { governanceHubInterface } from "./abi.js";
import type { Deployment } from "./deployments.js";
import {
  DirectExecutor,
  type Executor,
  type GovernanceCall,
  type GovernancePlan,
  SafeExecutor,
  execute,
  planCalls,
  planLabel,
} from "./executor.js";
import { simulate } from "./simulate.js";
import { TimelockExecutor, parseSalt } from "./timelock.js";
import { exportTransactionBuilderJson } from "./tx-builder.js";

export type Via = "direct" | "safe" | "timelock";

export interface ActionOptions {
  via: string;
  /** The sending account's address (direct), or the Safe submitter's; default: the first account. */
  from: string;
  dryRun: boolean;
  /** With `--via safe`: write a Transaction Builder batch to this file instead of executing. */
  export: string;
  /** With `--via timelock`: execute the call scheduled by an earlier run (default: schedule it). */
  execute?: boolean;
  /** With `--via timelock`: the operation's salt (text or 32-byte hex; default zero). */
  salt?: string;
}

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Scopes run from 0 to `SCOPE_COUNT - 1` (the hub's `SCOPE_COUNT`, from the generated vocabulary). */
export const SCOPE_COUNT = CordonHubConstants.SCOPE_COUNT;

/** `--scopes 1,2` as a bit mask; every scope must be a whole number below `SCOPE_COUNT`. */
export function parseScopes(input: string): bigint {
  let mask = 0n;
  for (const part of input.split(",").map((p) => p.trim())) {
    const scope = /^\d+$/.test(part) ? Number(part) : NaN;
    if (!Number.isInteger(scope) || scope >= SCOPE_COUNT) {
      throw new CordonError(`scope "${part}" does not exist: scopes are numbers from 0 to ${SCOPE_COUNT - 1}`, {
        details: "pass them as a comma-separated list, e.g. --scopes 1,2 (see `cordon status` for the paused ones)",
      });
    }
    mask |= 1n << BigInt(scope);
  }
  return mask;
}

/** A hub call for the executor: `method(args)` on the deployment's hub. */
export function hubCall(deployment: Deployment, method: string, args: unknown[], label: string): GovernanceCall {
  return { to: deployment.hub, data: governanceHubInterface.encodeFunctionData(method, args), label };
}

/** The account `--from` names among the network's `accounts` (with their `addresses`); empty: the first. */
export function pickAccount(accounts: Signer[], addresses: string[], from: string): Signer {
  if (accounts.length === 0) {
    throw new CordonError("the network has no accounts to sign with", {
      details: "configure `accounts` for the network (a keystore key) in hardhat.config.ts",
    });
  }
  if (from === "") return accounts[0]!;
  const index = addresses.indexOf(getAddress(from));
  if (index < 0) {
    throw new CordonError(`--from ${from} is not one of the network's accounts`, {
      details: `available: ${addresses.join(", ")}`,
    });
  }
  return accounts[index]!;
}

/**
 * The executor `--via` names, built from the network's accounts and the deployment's governance. `timelock` says
 * whether a timelock run executes an already scheduled call (`--execute`) and with which salt.
 */
export async function resolveExecutor(
  via: string,
  deployment: Deployment,
  accounts: Signer[],
  from: string,
  timelock: { execute?: boolean; salt?: string } = {},
): Promise<Executor> {
  const addresses = await Promise.all(accounts.map(async (a) => getAddress(await a.getAddress())));
  if (via !== "timelock" && (timelock.execute === true || (timelock.salt ?? "") !== "")) {
    throw new CordonError(`--execute and --salt belong to a timelock run, not --via ${via}`, {
      details: "use --via timelock, or leave them out",
    });
  }
  switch (via) {
    case "direct":
      return new DirectExecutor(pickAccount(accounts, addresses, from));
    case "safe":
      if (deployment.governance.kind !== "safe") {
        throw new CordonError(
          `--via safe: the deployment's governance is a ${deployment.governance.kind}, not a Safe`,
          {
            details: `governance is ${deployment.governance.address}; use --via ${deployment.governance.kind}`,
          },
        );
      }
      return new SafeExecutor(
        deployment.governance.address,
        accounts,
        pickAccount(accounts, addresses, from),
        deployment.governance.multiSend,
      );
    case "timelock":
      if (deployment.governance.kind !== "timelock") {
        throw new CordonError(
          `--via timelock: the deployment's governance is a ${deployment.governance.kind}, not a TimelockController`,
          { details: `governance is ${deployment.governance.address}; use --via ${deployment.governance.kind}` },
        );
      }
      return new TimelockExecutor(
        deployment.governance.address,
        accounts,
        timelock.execute === true ? "execute" : "schedule",
        {
          ...(from === "" ? {} : { from: pickAccount(accounts, addresses, from) }),
          salt: parseSalt(timelock.salt ?? ""),
        },
      );
    default:
      throw new CordonError(`--via ${via} is not an execution mode`, { details: "use direct, safe or timelock" });
  }
}

/**
 * Simulates `plan` (one call, or several sent together), prints it, and sends it (or stops on a dry run, or exports a
 * batch). Returns the exit code.
 */
export async function runCall(
  provider: Provider,
  deployment: Deployment,
  plan: GovernancePlan,
  accounts: Signer[],
  options: ActionOptions,
  io: CommandIO,
): Promise<number> {
  try {
    const calls: GovernanceCall[] = planCalls(plan);
    const label = planLabel(calls);
    const executor = await resolveExecutor(options.via, deployment, accounts, options.from, options);
    const print = (text: string) => io.stdout.write(`${text}\n`);
    if (options.export !== "") {
      if (!(executor instanceof SafeExecutor)) {
        throw new CordonError("--export writes a Safe Transaction Builder batch: it needs --via safe");
      }
      const from = await executor.sender();
      let gas = 0n;
      for (const call of calls) {
        const simulation = await simulate(provider, { from, to: call.to, data: call.data }, deployment.hub);
        if (!simulation.ok) {
          throw new CordonError(`${call.label} would fail from ${from}: ${simulation.revert.message}`, {
            details: `${simulation.revert.fix}. Nothing was written.`,
          });
        }
        gas += simulation.gas;
      }
      const { chainId } = await provider.getNetwork();
      const batch = exportTransactionBuilderJson(chainId, from, calls, { name: `Cordon: ${label}` });
      writeFileSync(options.export, `${JSON.stringify(batch, null, 2)}\n`);
      print(`simulated ${label} from the Safe ${from}: ok (gas ${gas})`);
      print(`wrote the Transaction Builder batch to ${options.export}; nothing was sent`);
      return 0;
    }
    const result = await execute(executor, provider, calls.length === 1 ? calls[0]! : calls, {
      dryRun: options.dryRun,
      hub: deployment.hub,
    });
    const batched =
      calls.length === 1
        ? ""
        : executor.kind === "direct"
          ? ` (${calls.length} calls, sent one after another)`
          : ` (${calls.length} calls in one transaction)`;
    print(`${label} via ${executor.kind}${batched}: simulation ok (gas ${result.simulation.gas})`);
    print(`signers: ${result.signers}`);
    print(result.txHash === undefined ? "dry run: nothing was sent" : `sent: ${result.txHash}`);
    if (result.note !== undefined) print(result.note);
    return 0;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Prints a CordonError as `error: ...` and its fix; returns exit code 2. Other errors are thrown. */
export function reportError(error: unknown, io: CommandIO): number {
  if (!(error instanceof CordonError)) throw error;
  io.stderr.write(`error: ${error.shortMessage}\n`);
  if (error.details !== undefined) io.stderr.write(`fix: ${error.details}\n`);
  return 2;
}
