import type { ConfigHooks } from "hardhat/types/hooks";

import { resolveCordonConfig, validateCordonUserConfig } from "../config.js";

export default async (): Promise<Partial<ConfigHooks>> => ({
  validateUserConfig: async (userConfig) => validateCordonUserConfig(userConfig),
  resolveUserConfig: async (userConfig, resolveConfigurationVariable, next) => {
    const resolved = await next(userConfig, resolveConfigurationVariable);
    return { ...resolved, cordon: resolveCordonConfig(userConfig, resolved.paths.root) };
  },
});
