#!/usr/bin/env node
/**
 * `cordon-keeper`: the keeper's binary, for a service manager or a container:
 *   cordon-keeper --config keeper.yml [--check] [--replay <block>]
 *   cordon-keeper import <OpenZeppelin Monitor config dir> [--out keeper.yml] [--hub <address>] [--force]
 * It is the process that holds the work, so it is the one that must receive SIGTERM: run it directly (systemd's
 * ExecStart, a container's exec-form ENTRYPOINT), not through `npm run` or `npx`. If a wrapper that started it dies
 * without passing the signal on, the keeper notices it was orphaned and stops the same way.
 */
import module from "node:module";
import { parseArgs } from "node:util";

// V8's code cache on disk: a restarted keeper (after a crash) compiles nothing it compiled before, which takes a
// good part of its time to first action. Best effort: a read-only disk only makes it slower.
try {
  module.enableCompileCache?.();
} catch {
  // no cache: nothing lost but time
}

// `cordon-keeper import <dir>`: an OpenZeppelin Monitor config as a keeper config (./import.ts).
if (process.argv[2] === "import") {
  const { IMPORT_USAGE, importCommand } = await import("./import.js");
  let args;
  try {
    args = parseArgs({
      args: process.argv.slice(3),
      options: {
        out: { type: "string", default: "keeper.yml" },
        hub: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${IMPORT_USAGE}\n`);
    process.exit(2);
  }
  if (args.values.help) {
    process.stdout.write(`${IMPORT_USAGE}\n`);
    process.exit(0);
  }
  process.exit(
    importCommand(
      {
        dir: args.positionals[0] ?? "",
        out: args.values.out,
        ...(args.values.hub === undefined ? {} : { hub: args.values.hub }),
        force: args.values.force,
      },
      { stdout: process.stdout, stderr: process.stderr },
    ),
  );
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      config: { type: "string", default: "" },
      check: { type: "boolean", default: false },
      replay: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
} catch (error) {
  const { WATCH_USAGE } = await import("./command.js");
  process.stderr.write(`error: ${(error as Error).message}\n\n${WATCH_USAGE}\n`);
  process.exit(2);
}
const { WATCH_USAGE, watchCommand } = await import("./command.js");
if (parsed.values.help) {
  process.stdout.write(`${WATCH_USAGE}\n`);
} else {
  // A keeper started by a wrapper (npm, npx, a shell) is orphaned when the wrapper dies of a signal it did not pass
  // on: its parent changes. It then stops as if it had received SIGTERM.
  const parent = process.ppid;
  const orphanWatch =
    parent > 1
      ? setInterval(() => {
          if (process.ppid !== parent) {
            clearInterval(orphanWatch);
            process.emit("SIGTERM");
          }
        }, 1_000).unref()
      : undefined;
  process.exitCode = await watchCommand(
    { config: parsed.values.config, check: parsed.values.check, replay: parsed.values.replay },
    { stdout: process.stdout, stderr: process.stderr, env: process.env },
  );
  if (orphanWatch !== undefined) clearInterval(orphanWatch);
}
