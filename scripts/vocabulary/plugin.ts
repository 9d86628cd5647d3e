/**
 * A local Hardhat plugin: after every successful build, regenerates the contracts' vocabulary module
 * (`packages/keeper/src/contracts/generated/cordon.ts`, see ./generate.ts), the way hardhat-typechain regenerates
 * its types. The file only changes when the contracts' ABIs or vocabulary do.
 */
import type { HardhatPlugin } from "hardhat/types/plugins";

const cordonVocabulary: HardhatPlugin = {
  id: "cordon-vocabulary",
  hookHandlers: {
    solidity: () => import("./hook-handlers/solidity.js"),
  },
};

export default cordonVocabulary;
