#!/usr/bin/env node
/**
 * The plain Node entry point of the keeper, for a service manager or a container:
 *   cordon-keeper --config keeper.yml [--check] [--replay <block>]
 * (`npm run keeper -- --config keeper.yml` does the same.)
 */
import { parseArgs } from "node:util";

import { WATCH_USAGE, watchCommand } from "./command.js";

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
  process.stderr.write(`error: ${(error as Error).message}\n\n${WATCH_USAGE}\n`);
  process.exit(2);
}
if (parsed.values.help) {
  process.stdout.write(`${WATCH_USAGE}\n`);
} else {
  process.exitCode = await watchCommand(
    { config: parsed.values.config, check: parsed.values.check, replay: parsed.values.replay },
    { stdout: process.stdout, stderr: process.stderr, env: process.env },
  );
}
