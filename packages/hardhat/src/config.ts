/**
 * Validation and resolution of the `cordon` section of hardhat.config.ts (see type-extensions.ts): zod checks the
 * user's values and names the field that is wrong; resolution makes paths absolute and applies the defaults once, so
 * tasks read `hre.config.cordon` and never the environment.
 */
import path from "node:path";

import type { CordonConfig, HardhatUserConfig } from "hardhat/types/config";
import type { HardhatUserConfigValidationError } from "hardhat/types/hooks";
import { z } from "zod";

const nonEmptyPath = z.string().min(1, "must be a non-empty path");

const cordonUserConfigSchema = z.strictObject({
  deploymentsDir: nonEmptyPath.optional(),
  params: nonEmptyPath.optional(),
  keeperConfig: nonEmptyPath.optional(),
  buildProfile: z.string().min(1, "must name a build profile").optional(),
});

/** The errors in `userConfig.cordon`, each with its path from the config's root (`["cordon", "deploymentsDir"]`). */
export function validateCordonUserConfig(userConfig: HardhatUserConfig): HardhatUserConfigValidationError[] {
  if (userConfig.cordon === undefined) return [];
  const parsed = cordonUserConfigSchema.safeParse(userConfig.cordon);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    path: ["cordon", ...issue.path.map((key) => (typeof key === "symbol" ? String(key) : key))],
    message: issue.message,
  }));
}

/** `userConfig.cordon` with its defaults, paths resolved from the project root `root`. */
export function resolveCordonConfig(userConfig: HardhatUserConfig, root: string): CordonConfig {
  const cordon = userConfig.cordon ?? {};
  const fromRoot = (file: string | undefined) => (file === undefined ? undefined : path.resolve(root, file));
  return {
    deploymentsDir: path.resolve(root, cordon.deploymentsDir ?? "deployments"),
    params: fromRoot(cordon.params),
    keeperConfig: fromRoot(cordon.keeperConfig),
    buildProfile: cordon.buildProfile ?? "production",
  };
}
