/**
 * Bundles the `cordon-keeper` binary: dist/keeper/main.js (tsc's output) and everything it imports, dependencies
 * included, into dist/bin/ as a few ES modules, the lazily imported parts (detectors, alert channels, metrics, the
 * proof EVM, replay) in chunks of their own. A restarted keeper then reads a handful of files instead of resolving and
 * compiling some eight hundred, which was most of its time before it could act after a crash. The library exports
 * (dist/**) stay tsc's unbundled output.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist/bin");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { "cordon-keeper": path.join(root, "dist/keeper/main.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  chunkNames: "chunks/[name]-[hash]",
  // CommonJS dependencies (pino and its streams) call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __cordonRequire } from "node:module";\nconst require = __cordonRequire(import.meta.url);',
  },
  logLevel: "warning",
});
