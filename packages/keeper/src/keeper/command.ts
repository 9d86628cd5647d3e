/**
 * `cordon watch`: the keeper's command, shared by the Hardhat task (`npx hardhat cordon watch`) and the plain Node
 * entry point (`src/keeper/main.ts`). `--check` validates the config and its secrets without running, then checks
 * every configured key against the chain through a quorum of endpoints (its role on the hub, a balance for its
 * action at the emergency fee ceiling; `./check.ts`); `--replay <block>` prints what the detectors find in one block
 * without acting; otherwise the keeper runs until SIGINT or SIGTERM. Returns the process exit code: 0 done, 1 failed while running (for `--check`: a network no quorum
 * answered), 2 the config or an argument is wrong (for `--check`: also a key without its role or its funds).
 */
import { type KeeperConfig, loadConfig } from "../config/load.js";
import { type Env, resolveSecrets } from "../config/secrets.js";
import { CordonError } from "../errors.js";
import type { KeeperMetrics } from "../ops/metrics.js";
import { createLogger } from "../ops/logger.js";
import type { ChainCheck } from "./check.js";
import { Keeper } from "./service.js";

export interface WatchArgs {
  config: string;
  check?: boolean;
  /** A block number, as typed. */
  replay?: string;
}

export interface WatchIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Env;
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

export const WATCH_USAGE = `Runs the Cordon watcher: follows the configured chains through several RPC endpoints, runs the detectors,
pauses through the guardian hub with a pause-only key, and alerts. Stops cleanly on SIGINT or SIGTERM.

Options:
  <config> / --config <file>
                     the keeper config (YAML or JSON); see the README's "The watcher: for keepers"
                     (the Hardhat task takes it as its argument: Hardhat owns --config)
  --check            validate the config and resolve its secrets, then check each key on the chain through a
                     quorum of endpoints: the hub role its action needs, and a balance for that action at the
                     emergency fee ceiling; exits 2 naming what is missing, 1 if no quorum answers (nothing is sent)
  --replay <block>   evaluate one block with every detector and print the findings (nothing is sent)

Subcommand:
  import <dir>       write a keeper config from an OpenZeppelin Monitor config directory, naming what it could
                     not translate (see \`cordon watch import --help\`)

Examples:
  npx hardhat cordon watch keeper.yml --check
  npx hardhat cordon watch keeper.yml
  npx hardhat cordon watch import ./oz-monitor/config --out keeper.yml
  node --import tsx src/keeper/main.ts --config keeper.yml --replay 19000000`;

export async function watchCommand(args: WatchArgs, io: WatchIO): Promise<number> {
  const print = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);
  if (args.config === "") {
    print(
      io.stderr,
      `error: the keeper config is required: pass its file, e.g. \`cordon watch keeper.yml\` (or --config keeper.yml)\n\n${WATCH_USAGE}`,
    );
    return 2;
  }
  let replay: number | undefined;
  if (args.replay !== undefined && args.replay !== "") {
    replay = Number(args.replay);
    if (!Number.isSafeInteger(replay) || replay < 0) {
      print(
        io.stderr,
        `error: --replay ${JSON.stringify(args.replay)} is not a block number: pass a whole number, e.g. --replay 1234`,
      );
      return 2;
    }
  }

  let config: KeeperConfig;
  try {
    config = loadConfig(args.config);
  } catch (error) {
    print(io.stderr, `error: ${(error as Error).message}`);
    return 2;
  }
  let secrets;
  try {
    secrets = await resolveSecrets(config, io.env);
  } catch (error) {
    print(io.stderr, `error: ${(error as Error).message}`);
    return 2;
  }

  if (args.check === true) {
    // The offline checks first, as before; then every key against the chain, through each network's quorum.
    print(io.stdout, describeConfig(config));
    let chain: ChainCheck[];
    try {
      const { checkOnChain } = await import("./check.js");
      chain = await checkOnChain(config, secrets);
    } catch (error) {
      print(
        io.stderr,
        `error: the on-chain check failed: ${(error as Error).message.split("\n")[0]}; nothing was sent`,
      );
      return 1;
    }
    for (const network of chain) print(io.stdout, network.lines.join("\n"));
    const problems = chain.flatMap((n) => n.problems);
    const unreached = chain.filter((n) => !n.reached).map((n) => n.network);
    if (problems.length > 0) {
      print(
        io.stderr,
        `error: ${problems.length} problem${problems.length === 1 ? "" : "s"} on the chain (the config itself is valid):\n` +
          problems.map((p) => `  ${p}`).join("\n"),
      );
    }
    if (unreached.length > 0) {
      print(
        io.stderr,
        `error: the chain could not be reached by a quorum of endpoints for ${unreached.join(", ")}: the keys' roles and balances there were not checked (the config's offline checks above passed)`,
      );
    }
    print(io.stdout, "nothing was sent");
    if (problems.length > 0) return 2;
    return unreached.length > 0 ? 1 : 0;
  }

  if (replay !== undefined) {
    try {
      const { replayBlock } = await import("./replay.js");
      for (const result of await replayBlock(config, secrets, replay)) {
        print(
          io.stdout,
          `${result.network} block ${result.block} (${result.hash}): ${result.logs} logs, ${result.findings.length} findings`,
        );
        for (const f of result.findings) {
          print(
            io.stdout,
            `  [${f.severity}] ${f.detector}: ${f.summary}${f.response ? ` -> would ${f.response.kind}` : ""}`,
          );
        }
      }
      return 0;
    } catch (error) {
      print(io.stderr, `error: ${(error as Error).message}`);
      return error instanceof CordonError && !error.retryable ? 2 : 1;
    }
  }

  const logger = createLogger(config.raw.log.level, io.stdout);
  let keeper: Keeper;
  try {
    // The alert channels (and the metrics) are loaded by the keeper once a restart's first actions are under way.
    const notifier = async (metrics: KeeperMetrics) =>
      (await import("./alerts.js")).buildNotifier(config, secrets, logger, metrics);
    keeper = await Keeper.start({ config, secrets, logger, notifier });
  } catch (error) {
    logger.fatal({ event: "start-failed", error: (error as Error).message }, "the keeper could not start");
    return error instanceof CordonError && !error.retryable ? 2 : 1;
  }
  if (io.handleSignals !== false) {
    const stop = (signal: string) => {
      logger.info({ event: "shutdown", signal }, "stopping after the current tick");
      void keeper.stop();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
  await keeper.done;
  await keeper.stop();
  logger.info({ event: "exit" }, "stopped");
  return 0;
}

function describeConfig(config: KeeperConfig): string {
  const lines = [`${config.file}: OK`];
  for (const network of config.networks) {
    lines.push(
      `  network ${network.name} (chainId ${network.chainId}): endpoints ${network.endpoints.map((e) => e.name).join(", ")}`,
    );
    for (const protocol of network.protocols) {
      lines.push(`    protocol ${protocol.name}: ${protocol.hub === undefined ? "no hub" : `hub ${protocol.hub}`}`);
      for (const d of protocol.detectors) {
        lines.push(
          `      detector ${d.name} (${d.config.kind})${d.action ? ` -> action ${d.action.name} (${d.action.kind}${d.action.response.kind === "call" ? ` ${d.action.response.description}` : ""}, key ${d.action.key})` : ""}`,
        );
      }
      if (protocol.alerts.length > 0)
        lines.push(`      alerts: ${protocol.alerts.map((a) => `${a.name} (${a.kind})`).join(", ")}`);
    }
  }
  lines.push(`  store: ${config.dataDir}; secrets resolved (values not shown)`);
  return lines.join("\n");
}
