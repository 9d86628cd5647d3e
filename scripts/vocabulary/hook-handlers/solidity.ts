import type { SolidityHooks } from "hardhat/types/hooks";

import { GENERATED_FILE, writeVocabulary } from "../generate.js";

export default async (): Promise<Partial<SolidityHooks>> => ({
  async processArtifactsAfterSuccessfulBuild(context, _artifactPaths, _buildRootFilePaths, buildOptions) {
    // Coverage builds instrument the sources; they say nothing new about the vocabulary.
    if ((context.globalOptions as { coverage?: boolean }).coverage === true) return;
    const changed = await writeVocabulary(context.config.paths.root, context.config.paths.artifacts);
    if (changed === true && !buildOptions.quiet) console.log(`Regenerated ${GENERATED_FILE}`);
  },
});
