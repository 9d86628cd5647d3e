import path from "node:path";

import { expect } from "chai";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { HardhatUserConfig } from "hardhat/types/config";

import cordon from "@cordon/hardhat";
import { resolveCordonConfig, validateCordonUserConfig } from "@cordon/hardhat/config.js";

describe("@cordon/hardhat: the cordon config section", function () {
  it("resolves the defaults and makes paths absolute from the project root", function () {
    const root = path.resolve("/project");
    expect(resolveCordonConfig({}, root)).to.deep.equal({
      deploymentsDir: path.join(root, "deployments"),
      params: undefined,
      keeperConfig: undefined,
      buildProfile: "production",
    });
    const resolved = resolveCordonConfig(
      { cordon: { deploymentsDir: "out/records", params: "cordon.params.json", buildProfile: "default" } },
      root,
    );
    expect(resolved.deploymentsDir).to.equal(path.join(root, "out/records"));
    expect(resolved.params).to.equal(path.join(root, "cordon.params.json"));
    expect(resolved.buildProfile).to.equal("default");
  });

  it("names each wrong field by its path, and refuses fields it does not know", function () {
    const errors = validateCordonUserConfig({
      cordon: { deploymentsDir: "", buildProfile: 3, keeperConfg: "keeper.yml" },
    } as unknown as HardhatUserConfig);
    expect(errors.map((e) => e.path)).to.deep.include.members([
      ["cordon", "deploymentsDir"],
      ["cordon", "buildProfile"],
      ["cordon"],
    ]);
    expect(validateCordonUserConfig({})).to.deep.equal([]);
  });

  it("is what a Hardhat runtime built with the plugin reads as hre.config.cordon; a bad section is refused", async function () {
    const hre = await createHardhatRuntimeEnvironment({ plugins: [cordon], cordon: { deploymentsDir: "records" } });
    expect(hre.config.cordon.deploymentsDir).to.equal(path.join(hre.config.paths.root, "records"));
    expect(hre.config.paths.ignition).to.equal(path.join(hre.config.paths.root, "ignition"));
    let refused: unknown;
    try {
      await createHardhatRuntimeEnvironment({
        plugins: [cordon],
        cordon: { deploymentsDir: "" },
      });
    } catch (error) {
      refused = error;
    }
    expect((refused as { descriptor?: { number: number } } | undefined)?.descriptor?.number).to.equal(15);
  });
});
