import path from "node:path";
import { pathToFileURL } from "node:url";

import { z } from "zod";

import { defineDetectorKind } from "../../config/kinds.js";
import { CordonError } from "../../errors.js";
import type { Detector, Response } from "../types.js";

/** What a team's detector module's default export receives. */
export interface DetectorModuleContext {
  /** `<protocol>/<detector>`: use it as the detector's name. */
  name: string;
  protocol: string;
  /** The protocol's CordonHub; undefined for a protocol without one. */
  hub: string | undefined;
  /** The protocol's named contracts. */
  contracts: Record<string, string>;
  options: Record<string, unknown>;
  response: Response | undefined;
}

export default defineDetectorKind({
  kind: "module",
  docs: "A team's own detector: the default export of `module` (a path relative to the config file) receives a `DetectorModuleContext` with `options` and returns the detector.",
  options: {
    /** A TypeScript/JavaScript module (relative to the config file) whose default export makes the detector. */
    module: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
  },
  build: async (c, { id, name, protocol, response, configDir }): Promise<Detector> => {
    const file = path.resolve(configDir, c.module);
    let factory: unknown;
    try {
      factory = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    } catch (error) {
      throw new CordonError(`detectors.${name}.module: cannot load ${file}`, {
        details: `${(error as Error).message.split("\n")[0]}. The path is relative to the config file.`,
        cause: error,
      });
    }
    if (typeof factory !== "function") {
      throw new CordonError(`detectors.${name}.module: ${file} has no default export function`, {
        details: "export default (context) => ({ name: context.name, evaluate(...) { ... } })",
      });
    }
    const built = (await (factory as (ctx: DetectorModuleContext) => Detector | Promise<Detector>)({
      name: id,
      protocol: protocol.name,
      hub: protocol.hub,
      contracts: protocol.contracts,
      options: c.options,
      response,
    })) as Detector;
    if (typeof built?.evaluate !== "function" && typeof built?.poll !== "function") {
      throw new CordonError(`detectors.${name}.module: ${file} did not return a detector`, {
        details: "the default export must return an object with `name` and `evaluate` (or `poll`)",
      });
    }
    return built;
  },
});
