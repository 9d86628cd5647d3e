/**
 * The `cordon` section of a Hardhat config, typed for users (`HardhatUserConfig.cordon`, every field optional) and
 * resolved for tasks (`hre.config.cordon`, every field set). Importing `@cordon/hardhat` brings these in.
 */
import "hardhat/types/config";

declare module "hardhat/types/config" {
  interface HardhatUserConfig {
    cordon?: CordonUserConfig;
  }

  interface HardhatConfig {
    cordon: CordonConfig;
  }

  /** Cordon's settings in hardhat.config.ts. Relative paths are resolved from the project root. */
  interface CordonUserConfig {
    /**
     * The folder `cordon deploy` writes `<network>/cordon.json` into, and every other task reads it from.
     * @default "deployments"
     */
    deploymentsDir?: string;
    /**
     * The protocol's configuration (governance, guardians, protected contracts, limits) `cordon deploy` uses when
     * `--params` is not given. @default undefined: `--params` is required
     */
    params?: string;
    /**
     * The keeper config (YAML or JSON) `cordon watch` runs when no file is given. @default undefined: the file
     * argument is required
     */
    keeperConfig?: string;
    /**
     * The build profile `cordon deploy` compiles the protocol's own contracts with, unless `--build-profile` is
     * given. The hub itself ships compiled with Cordon's production profile. @default "production"
     */
    buildProfile?: string;
  }

  /** The resolved `cordon` section: absolute paths, defaults applied. */
  interface CordonConfig {
    deploymentsDir: string;
    params: string | undefined;
    keeperConfig: string | undefined;
    buildProfile: string;
  }
}
