/**
 * Cordon as a protocol team installs it (issue 11's acceptance), run by `npm run test:consumer` (in .ci/run, not in
 * `npm test`: it installs two projects and takes minutes). From `npm pack` tarballs only, with install scripts off:
 *
 * 1. A fresh Hardhat 3 project with its own guarded lending pool (not the sample) and only `plugins: [cordon]`: it
 *    builds, a `hardhat node` runs in it, and `cordon deploy, status, pause, checkpoint, verify-state, recover,
 *    resume` work against it; the packaged `cordon-keeper` binary, on plain Node 22, pauses an exploit-like outflow;
 *    the project's own `tsc --noEmit` passes with `strict` and `exactOptionalPropertyTypes`.
 * 2. A folder with the keeper only and no Hardhat at all: `cordon-keeper --check` and a real run against the node.
 *
 * The registry here lacks EDR's native package, so the fixture runs this repository's workaround
 * (scripts/setup/ensure-edr.cjs) for the consumer folder, explicitly: no Cordon package runs anything at install.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { Contract, ContractFactory, JsonRpcProvider, Wallet, parseUnits } from "ethers";

import { TEST_KEYS } from "@cordon/testkit/chain.js";
import { type HardhatNode, startHardhatNode } from "@cordon/testkit/hardhat-node.js";
import { type KeeperProcess, runKeeper } from "@cordon/testkit/keeper-process.js";

const execute = promisify(execFile);
const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, "../..");
const PACKAGES = ["@cordon/contracts", "@cordon/keeper", "@cordon/hardhat"];
/** The node's first account deploys and governs; the keeper's key is its second account, the guardian. */
const KEYS = { guardian: TEST_KEYS.keeper, attacker: TEST_KEYS.outsider } as const;
const RUN_AS_TEST = process.env.CORDON_CONSUMER_TEST === "1";

/** Every dependency version the fixture pins, from this repository's own manifest (one lockfile decides). */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
}

async function sh(
  program: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execute(program, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`);
  }
}

/**
 * The consumer's environment: this process's, without what the outer `npm run` and `hardhat test` set for their own
 * children (HARDHAT_CONFIG would point the consumer's Hardhat at Cordon's config; npm_config_* at Cordon's
 * workspace), and with Node 22 (the binary this test runs on) first on PATH, so npm and every `#!/usr/bin/env node`
 * use it.
 */
const NODE_BIN = path.dirname(process.execPath);
const ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(HARDHAT_|npm_|NODE_OPTIONS$|INIT_CWD$)/i.test(name)),
);
ENV.PATH = `${NODE_BIN}${path.delimiter}${process.env.PATH ?? ""}`;
const npm = (args: string[], cwd: string) => sh("npm", args, cwd, ENV);

const LENDING_POOL = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {CordonGuarded} from "@cordon/contracts/guarded/CordonGuarded.sol";
import {ICordonCheckpointed} from "@cordon/contracts/interfaces/ICordonCheckpointed.sol";

/// A consumer's own lending pool: supply and borrow, guarded by Cordon. It forgets to check collateral.
contract LendingPool is CordonGuarded, ICordonCheckpointed {
    using SafeERC20 for IERC20;

    uint8 public constant SCOPE_SUPPLY = 0;
    uint8 public constant SCOPE_BORROW = 1;

    IERC20 public immutable asset;
    uint256 public totalSupplied;
    uint256 public totalBorrowed;
    mapping(address account => uint256) public supplied;
    mapping(address account => uint256) public borrowed;

    constructor(IERC20 asset_, address hub_) CordonGuarded(hub_) {
        asset = asset_;
    }

    function supply(uint256 amount) external whenScopeOpen(SCOPE_SUPPLY) {
        asset.safeTransferFrom(msg.sender, address(this), amount);
        supplied[msg.sender] += amount;
        totalSupplied += amount;
        _recordInflow(address(asset), amount);
    }

    function borrow(uint256 amount) external whenScopeOpen(SCOPE_BORROW) {
        borrowed[msg.sender] += amount;
        totalBorrowed += amount;
        _sendOutflow(address(asset), msg.sender, amount);
    }

    function stateDigest() external view returns (bytes32) {
        return keccak256(abi.encode(totalSupplied, totalBorrowed));
    }

    function checkInvariants() external view returns (uint256) {
        return totalBorrowed <= totalSupplied ? 0 : 1;
    }
}
`;

const TOKEN = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

contract Token is ERC20 {
    constructor() ERC20("Pool Dollar", "PD") {
        _mint(msg.sender, 1_000_000e18);
    }
}
`;

const HARDHAT_CONFIG = `import { createRequire } from "node:module";

import cordon from "@cordon/hardhat";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);
// Downloads fail on this machine: the compiler comes from the npm solc package, of the same version.
const solc = { version: "0.8.30", path: require.resolve("solc/soljson.js") };

export default defineConfig({
  plugins: [cordon],
  solidity: {
    profiles: {
      default: solc,
      production: { ...solc, settings: { optimizer: { enabled: true, runs: 200 } } },
    },
  },
  networks: {
    local: { type: "http", chainType: "l1", url: configVariable("LENDING_RPC_URL") },
  },
  cordon: {
    deploymentsDir: "deployments",
    params: "cordon.params.json",
    keeperConfig: "keeper.yml",
  },
});
`;

/** A script of the consumer's that uses Cordon's typed API: the consumer's tsc checks Cordon's .d.ts through it. */
const TYPED_USE = `import type { HardhatUserConfig } from "hardhat/config";
import { loadConfig, type KeeperConfig, CordonError } from "@cordon/keeper";
import { cordonModule } from "@cordon/hardhat/ignition.js";

export const cordonSection: HardhatUserConfig["cordon"] = { deploymentsDir: "deployments", buildProfile: "production" };

export function keeperProtocols(file: string): string[] {
  const config: KeeperConfig = loadConfig(file);
  return Object.keys(config.raw.protocols);
}

export const module = cordonModule(
  {
    governance: { kind: "direct" },
    guardians: [],
    guardianPauseDuration: 86400,
    guardianCooldown: 3600,
    attestationThreshold: 0,
    protected: [],
    limits: [],
  },
  "0x0000000000000000000000000000000000000001",
);
export const failure = new CordonError("x");
`;

function keeperYaml(rpcUrl: string, hub: string, token: string, pool: string, dataDir: string): string {
  return `dataDir: ${dataDir}
networks:
  local:
    chainId: 31337
    endpoints:
      - { name: node, url: "${rpcUrl}", timeoutMs: 2000 }
    pollIntervalMs: 100
    startBlock: latest
keys:
  guardian: { env: CORDON_GUARDIAN_KEY }
protocols:
  lending:
    network: local
    hub: "${hub}"
    contracts:
      pd: "${token}"
      pool: "${pool}"
    detectors: [drain]
detectors:
  drain:
    kind: large-transfer
    token: pd
    from: pool
    threshold: 500e18
    severity: critical
    action: pause-all
actions:
  pause-all:
    kind: pause
    reason: drain
    key: guardian
`;
}

(RUN_AS_TEST ? describe : describe.skip)("Cordon installed from its tarballs in a project of its own", function () {
  this.timeout(900_000);
  let dir: string;
  let project: string;
  let keeperOnly: string;
  let node: HardhatNode | undefined;
  const tarballs: Record<string, string> = {};
  const timings: string[] = [];
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    const result = await work();
    timings.push(`${label}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
    return result;
  };
  /** `hardhat --network local <args>` in the consumer project, with its own Hardhat on Node 22. */
  const hardhat = (args: string[]) =>
    sh(process.execPath, [path.join(project, "node_modules/hardhat/dist/src/cli.js"), ...args], project, ENV);
  const cordon = (args: string[]) => hardhat(["--network", "local", "cordon", ...args]);

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "cordon-consumer-"));
    project = path.join(dir, "lending");
    keeperOnly = path.join(dir, "keeper-only");
    const packed = path.join(dir, "tarballs");
    mkdirSync(packed);
    await timed("npm pack (3 packages)", async () => {
      const { stdout } = await npm(
        ["pack", "--json", "--pack-destination", packed, ...PACKAGES.flatMap((p) => ["--workspace", p])],
        ROOT,
      );
      for (const entry of JSON.parse(stdout) as { name: string; filename: string }[]) {
        tarballs[entry.name] = path.join(packed, entry.filename);
      }
    });
    expect(Object.keys(tarballs).sort()).to.deep.equal([...PACKAGES].sort());
  });

  after(async function () {
    await node?.stop();
    console.log(`      timings:\n${timings.map((t) => `        ${t}`).join("\n")}`);
    if (dir !== undefined && process.env.CORDON_KEEP_CONSUMER !== "1") rmSync(dir, { recursive: true, force: true });
  });

  it("installs from the tarballs with scripts off, builds its own guarded contract, and type-checks strictly", async function () {
    mkdirSync(path.join(project, "contracts"), { recursive: true });
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify(
        {
          name: "lending-protocol",
          private: true,
          type: "module",
          devDependencies: {
            "@cordon/contracts": `file:${tarballs["@cordon/contracts"]}`,
            "@cordon/hardhat": `file:${tarballs["@cordon/hardhat"]}`,
            "@cordon/keeper": `file:${tarballs["@cordon/keeper"]}`,
            "@openzeppelin/contracts": installedVersion("@openzeppelin/contracts"),
            "@types/node": installedVersion("@types/node"),
            hardhat: installedVersion("hardhat"),
            solc: installedVersion("solc"),
            typescript: installedVersion("typescript"),
          },
        },
        null,
        2,
      ),
    );
    writeFileSync(path.join(project, "contracts/LendingPool.sol"), LENDING_POOL);
    writeFileSync(path.join(project, "contracts/Token.sol"), TOKEN);
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          lib: ["es2023"],
          module: "node20",
          target: "es2023",
          strict: true,
          exactOptionalPropertyTypes: true,
          // Cordon's .d.ts are checked too, under the consumer's flags.
          skipLibCheck: false,
          types: ["node"],
          verbatimModuleSyntax: true,
          noEmit: true,
        },
        include: ["hardhat.config.ts", "scripts"],
      }),
    );
    mkdirSync(path.join(project, "scripts"));
    writeFileSync(path.join(project, "scripts/cordon-api.ts"), TYPED_USE);

    writeFileSync(path.join(project, "hardhat.config.ts"), HARDHAT_CONFIG);

    await timed("npm install --ignore-scripts (consumer)", () =>
      npm(["install", "--ignore-scripts", "--no-audit", "--no-fund"], project),
    );
    // What a consumer gets: Cordon's packages ship no install script and no sources, tests, mocks or sample.
    for (const name of PACKAGES) {
      const manifest = JSON.parse(readFileSync(path.join(project, "node_modules", name, "package.json"), "utf8")) as {
        scripts?: Record<string, string>;
      };
      for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
        expect(manifest.scripts?.[hook], `${name} ${hook}`).to.equal(undefined);
      }
    }
    expect(existsSync(path.join(project, "node_modules/@cordon/contracts/mocks"))).to.equal(false);
    expect(existsSync(path.join(project, "node_modules/@cordon/contracts/sample"))).to.equal(false);
    expect(existsSync(path.join(project, "node_modules/@cordon/keeper/src"))).to.equal(false);
    // This repository's registry workaround, run by the fixture for the consumer folder (see the header).
    await sh(process.execPath, [path.join(ROOT, "scripts/setup/ensure-edr.cjs"), project], project, ENV);

    await timed("hardhat build (consumer)", () => hardhat(["build", "--quiet"]));
    expect(existsSync(path.join(project, "artifacts/contracts/LendingPool.sol/LendingPool.json"))).to.equal(true);
    // Cordon's hub is not in the consumer's build: the plugin ships its artifact.
    expect(existsSync(path.join(project, "artifacts/@cordon"))).to.equal(false);

    await timed("tsc --noEmit (consumer, strict, exactOptionalPropertyTypes)", () =>
      sh(process.execPath, [path.join(project, "node_modules/typescript/bin/tsc"), "-p", "."], project, ENV),
    );
  });

  it("deploys its own pool with cordon deploy and walks pause, checkpoint, verify-state, recover, resume", async function () {
    node = await timed("hardhat node (consumer)", () => startHardhatNode({ cwd: project, env: ENV }));
    ENV.LENDING_RPC_URL = node.url;
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, polling: true });
    provider.pollingInterval = 100;
    const deployer = await provider.getSigner(0);
    const guardian = new Wallet(KEYS.guardian).address;

    const tokenArtifact = JSON.parse(
      readFileSync(path.join(project, "artifacts/contracts/Token.sol/Token.json"), "utf8"),
    ) as { abi: []; bytecode: string };
    const token = await new ContractFactory(tokenArtifact.abi, tokenArtifact.bytecode, deployer).deploy();
    await token.waitForDeployment();
    const tokenAddress = await token.getAddress();

    writeFileSync(
      path.join(project, "cordon.params.json"),
      JSON.stringify({
        governance: { kind: "direct" },
        guardians: [guardian],
        guardianPauseDuration: 86400,
        guardianCooldown: 60,
        attestationThreshold: 0,
        protected: [{ id: "pool", contract: "LendingPool", args: [tokenAddress, "$hub"] }],
        limits: [
          {
            target: "pool",
            asset: tokenAddress,
            scope: 1,
            capacity: parseUnits("1000000", 18).toString(),
            window: 86400,
            policy: "revert",
          },
        ],
      }),
    );
    const deployed = await timed("cordon deploy", () => cordon(["deploy"]));
    expect(deployed.stdout).to.match(/hub 0x[0-9a-fA-F]{40}; Ignition deployment cordon-local; wrote /);
    const record = JSON.parse(readFileSync(path.join(project, "deployments/local/cordon.json"), "utf8")) as {
      hub: string;
      protected: string[];
    };
    expect(existsSync(path.join(project, "ignition/deployments/cordon-local/journal.jsonl"))).to.equal(true);

    const status = await timed("cordon status", () => cordon(["status"]));
    expect(status.stdout).to.match(/^State\s+Active$/m);
    expect(status.stdout).to.contain(record.protected[0]);

    const hub = new Contract(record.hub, ["function state() view returns (uint8)"], provider);
    const hubState = async () => (await hub.getFunction("state")()) as bigint;
    const paused = await timed("cordon pause", () =>
      cordon(["pause", "--reason", "SECURITY_DRAIN", "--from", guardian]),
    );
    expect(paused.stdout).to.contain("pause (SECURITY_DRAIN) via direct: simulation ok");
    expect(await hubState()).to.equal(1n);

    const checkpoint = await timed("cordon checkpoint", () => cordon(["checkpoint", "--from", guardian]));
    expect(checkpoint.stdout).to.contain("simulation ok");
    const verified = await timed("cordon verify-state", () => cordon(["verify-state"]));
    expect(verified.stdout).to.contain("local = http://127.0.0.1");
    const recovered = await timed("cordon recover", () => cordon(["recover", "--reason", "SECURITY_DRAIN"]));
    expect(recovered.stdout).to.contain("simulation ok");
    expect(await hubState()).to.equal(2n);
    const resumed = await timed("cordon resume", () => cordon(["resume", "--reason", "MAINTENANCE_PLANNED"]));
    expect(resumed.stdout).to.match(/resume from checkpoint \d+ \(MAINTENANCE_PLANNED\) via direct: simulation ok/);
    expect(await hubState()).to.equal(0n);

    // The pool is open again: a lender supplies.
    const pool = new Contract(record.protected[0]!, ["function supply(uint256)", "function borrow(uint256)"], deployer);
    await (
      await (token.getFunction("approve") as (a: string, n: bigint) => Promise<{ wait(): Promise<unknown> }>)(
        record.protected[0]!,
        parseUnits("1000", 18),
      )
    ).wait();
    await (await pool.getFunction("supply")(parseUnits("1000", 18))).wait();
    writeFileSync(
      path.join(project, "keeper.yml"),
      keeperYaml(node.url, record.hub, tokenAddress, record.protected[0]!, path.join(project, ".keeper")),
    );
  });

  it("runs the packaged cordon-keeper on plain Node 22 until it pauses an exploit-like outflow", async function () {
    const provider = new JsonRpcProvider(node!.url, undefined, { staticNetwork: true });
    const record = JSON.parse(readFileSync(path.join(project, "deployments/local/cordon.json"), "utf8")) as {
      hub: string;
      protected: string[];
    };
    // The binary npm linked, run by its own shebang with Node 22 first on PATH: not npx, not tsx.
    const bin = path.join(project, "node_modules/.bin/cordon-keeper");
    const keeper: KeeperProcess = runKeeper(
      ["--config", "keeper.yml"],
      { PATH: ENV.PATH!, CORDON_GUARDIAN_KEY: KEYS.guardian },
      { command: [bin], cwd: project },
    );
    try {
      await timed("keeper start to network-ready", () => keeper.waitFor((l) => l.event === "network-ready", 30_000));
      const attacker = new Wallet(KEYS.attacker, provider);
      await node!.rpc("hardhat_setBalance", [attacker.address, "0x8ac7230489e80000"]);
      const pool = new Contract(record.protected[0]!, ["function borrow(uint256)"], attacker);
      await (await pool.getFunction("borrow")(parseUnits("900", 18))).wait();
      const action = await timed("exploit to keeper action", () => keeper.waitFor((l) => l.event === "action", 30_000));
      expect(action).to.include({ event: "action" });
      const hub = new Contract(record.hub, ["function state() view returns (uint8)"], provider);
      expect(await hub.getFunction("state")()).to.equal(1n);
    } finally {
      if (!keeper.child.killed) keeper.child.kill("SIGTERM");
      expect(await keeper.exited).to.equal(0);
    }
  });

  it("installs the keeper alone, with no Hardhat, and it checks its config and runs against the node", async function () {
    mkdirSync(keeperOnly);
    writeFileSync(
      path.join(keeperOnly, "package.json"),
      JSON.stringify({
        name: "keeper-host",
        private: true,
        dependencies: { "@cordon/keeper": `file:${tarballs["@cordon/keeper"]}` },
      }),
    );
    await timed("npm install --ignore-scripts (keeper only)", () =>
      npm(["install", "--ignore-scripts", "--no-audit", "--no-fund"], keeperOnly),
    );
    expect(existsSync(path.join(keeperOnly, "node_modules/hardhat"))).to.equal(false);
    const record = JSON.parse(readFileSync(path.join(project, "deployments/local/cordon.json"), "utf8")) as {
      hub: string;
      protected: string[];
    };
    const yml = readFileSync(path.join(project, "keeper.yml"), "utf8").replace(
      path.join(project, ".keeper"),
      path.join(keeperOnly, "data"),
    );
    writeFileSync(path.join(keeperOnly, "keeper.yml"), yml);
    expect(yml).to.contain(record.hub);
    const bin = path.join(keeperOnly, "node_modules/.bin/cordon-keeper");
    const env = { ...ENV, CORDON_GUARDIAN_KEY: KEYS.guardian };
    const checked = await sh(bin, ["--config", "keeper.yml", "--check"], keeperOnly, env);
    expect(checked.stdout).to.contain("lending");

    const keeper = runKeeper(
      ["--config", "keeper.yml"],
      { PATH: ENV.PATH!, CORDON_GUARDIAN_KEY: KEYS.guardian },
      { command: [bin], cwd: keeperOnly },
    );
    try {
      await timed("keeper-only start to network-ready", () =>
        keeper.waitFor((l) => l.event === "network-ready", 30_000),
      );
      for (let i = 0; i < 3; i++) await node!.rpc("evm_mine");
      const head = Number(await node!.rpc<string>("eth_blockNumber"));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      keeper.child.kill("SIGTERM");
      const stopped = await keeper.waitFor((l) => l.event === "stopped", 10_000);
      expect(Number(stopped.cursor)).to.be.at.least(head);
    } finally {
      if (!keeper.child.killed) keeper.child.kill("SIGTERM");
      expect(await keeper.exited).to.equal(0);
    }
  });
});
