import { createRequire } from "node:module";

import cordon from "@cordon/hardhat";
import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

import cordonVocabulary from "./scripts/vocabulary/plugin.js";

const require = createRequire(import.meta.url);

/**
 * The compiler comes from the npm `solc` package (pinned by the lockfile), so builds need no download.
 * Its version must equal `SOLC_VERSION`: Hardhat checks the binary against it.
 */
const SOLC_VERSION = "0.8.30";
const solcPath = require.resolve("solc/soljson.js");

/** Fuzz runs per fuzz test; CI sets CORDON_FUZZ_RUNS, the default keeps local runs quick. */
const fuzzRuns = Number(process.env.CORDON_FUZZ_RUNS ?? 10_000);
const invariantRuns = Number(process.env.CORDON_INVARIANT_RUNS ?? 256);

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin, cordon, cordonVocabulary],
  solidity: {
    /** OpenZeppelin's proxies, built as they are for the watcher's privileged-events tests. */
    npmFilesToBuild: [
      "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
      "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol",
      "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol",
      "@openzeppelin/contracts/proxy/beacon/BeaconProxy.sol",
      "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol",
    ],
    profiles: {
      /** Tests, coverage and lint: the legacy pipeline compiles fast. */
      default: {
        version: SOLC_VERSION,
        path: solcPath,
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "prague" },
      },
      /** What is deployed and measured (deploy tasks, the demo, `npm run bench:gas`, `npm run gas`): via IR. */
      production: {
        version: SOLC_VERSION,
        path: solcPath,
        settings: { optimizer: { enabled: true, runs: 10_000 }, viaIR: true, evmVersion: "prague" },
      },
    },
  },
  cordon: {
    /** Where `cordon deploy` writes deployment records; the task tests point it at a temporary folder. */
    deploymentsDir: process.env.CORDON_DEPLOYMENTS_DIR ?? "deployments",
  },
  paths: {
    /** Ignition's deployment journals live under `<ignition>/deployments`; tests point this at a temporary folder. */
    ignition: process.env.CORDON_IGNITION_DIR ?? "ignition",
    tests: {
      mocha: "test",
      solidity: "test",
    },
  },
  test: {
    solidity: {
      fuzz: { runs: fuzzRuns, seed: "0x636f72646f6e" },
      invariant: { runs: invariantRuns, depth: 64, failOnRevert: false },
    },
    mocha: {
      timeout: 120_000,
    },
  },
  coverage: {
    // Test doubles and harnesses are not product code.
    skipFiles: ["contracts/mocks/**"],
  },
  networks: {
    hardhat: {
      type: "edr-simulated",
      chainType: "l1",
    },
    /**
     * `npm run demo`'s node: blocks may share a timestamp, so the demo's quick setup (a block per transaction) does
     * not run the chain's clock ahead of the wall clock the keeper dates its detections by.
     */
    cordonDemo: {
      type: "edr-simulated",
      chainType: "l1",
      allowBlocksWithSameTimestamp: true,
    },
    localhost: {
      type: "http",
      chainType: "l1",
      url: "http://127.0.0.1:8545",
    },
    /** The task tests' `hardhat node` (test/governance/tasks.test.ts sets CORDON_TEST_RPC_URL to its loopback URL). */
    cordonTest: {
      type: "http",
      chainType: "l1",
      url: process.env.CORDON_TEST_RPC_URL ?? "http://127.0.0.1:8545",
    },
  },
});
