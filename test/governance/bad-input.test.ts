import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Contract, getAddress } from "ethers";

import { ROLES } from "@cordon/keeper/governance/abi.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { type CliOutcome, chainFingerprint, runCordon, writeTestDeployment } from "../support/cordon-cli.js";
import { send } from "../support/deploy.js";
import { type SampleProtocol, deploySampleProtocol } from "../support/protocol.js";

/**
 * Every refusal must name the problem and its fix, exit non-zero, and send nothing: the head block and every
 * account's nonce are the same after the command as before it.
 */
describe("cordon tasks refuse bad input: a clear message, a fix, a non-zero exit, and no transaction", function () {
  this.timeout(120_000);
  let chain: TestChain;
  let protocol: SampleProtocol;
  let dir: string;
  let accounts: string[];
  /** The node's first account, which the tasks send from by default: governance here. */
  let governor: string;
  let outsider: string;

  const deployments = () => path.join(dir, "deployments");
  const state = async () => (await protocol.hub.getFunction("state")()) as bigint;

  /** The line of `text` that starts with `prefix`, or "" when none does. */
  const line = (text: string, prefix: string) => text.split("\n").find((l) => l.startsWith(prefix)) ?? "";

  /**
   * Runs the commands (concurrently: none may send anything) and checks each failed with its problem on the
   * `error:` line and its fix on the `fix:` line, and that the chain did not move.
   */
  async function refused(...cases: { args: string[]; problem: string; fix: string; deployments?: string }[]) {
    const before = await chainFingerprint(chain, accounts);
    const outcomes = await Promise.all(
      cases.map(({ args, deployments: folder }) =>
        args[0] === "--network"
          ? runCordon(chain.node.url, folder ?? deployments(), args.slice(2), args[1])
          : runCordon(chain.node.url, folder ?? deployments(), args),
      ),
    );
    outcomes.forEach((outcome: CliOutcome, i) => {
      const { args, problem, fix } = cases[i]!;
      const what = `${args.join(" ")}:\n${outcome.stdout}${outcome.stderr}`;
      expect(outcome.code, what).to.not.equal(0);
      expect(line(outcome.stderr, "error: "), what).to.contain(problem);
      expect(line(outcome.stderr, "fix: "), what).to.contain(fix);
      expect(outcome.stdout, what).to.not.contain("sent: 0x");
    });
    expect(await chainFingerprint(chain, accounts)).to.equal(before);
    return outcomes;
  }

  before(async function () {
    chain = await startTestChain([]);
    protocol = await deploySampleProtocol(chain);
    accounts = await chain.node.rpc<string[]>("eth_accounts");
    governor = getAddress(accounts[0]!);
    await send(protocol.hub, "grantRole", ROLES.GOVERNANCE_ROLE, governor);
    outsider = getAddress(accounts[2]!);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-bad-input-"));
    writeTestDeployment(deployments(), {
      chainId: 31337,
      hub: protocol.hub.target as string,
      protected: [protocol.vault.target as string],
      governance: { kind: "direct", address: governor },
      guardians: [protocol.keeper.address],
    });
  });

  after(async function () {
    await chain?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("an unknown network names the defined ones; a missing deployment says how to create it", async function () {
    await refused(
      {
        args: ["--network", "nope", "shutdown", "--yes"],
        problem: 'network "nope" is not defined in hardhat.config.ts',
        fix: 'to --network, or add "nope" under networks in hardhat.config.ts',
      },
      {
        args: ["guardians", "add", "--account", outsider],
        problem: "no deployment for network cordonTest",
        fix: "run `npx hardhat cordon deploy --network cordonTest` first",
        deployments: path.join(dir, "nowhere"),
      },
    );
  });

  it("a scope that does not exist, a bad amount, a bad policy, a token that is not an ERC-20", async function () {
    const limit = (token: string, ...rest: string[]) => ["set-limit", "--token", token, "--window", "60", ...rest];
    const token = protocol.token.target as string;
    await refused(
      {
        args: limit(token, "--capacity", "1000", "--scope", "300"),
        problem: 'scope "300" does not exist: scopes are numbers from 0 to 207',
        fix: "e.g. --scope 1",
      },
      { args: ["unpause", "--scopes", "1,300"], problem: 'scope "300" does not exist', fix: "--scopes 1,2" },
      {
        args: limit(token, "--scope", "1", "--capacity", "1,000"),
        problem: "--capacity 1,000 is not an amount",
        fix: "in whole tokens",
      },
      {
        args: limit(token, "--scope", "1", "--capacity", "-5"),
        problem: "--capacity -5 is not an amount",
        fix: "e.g.",
      },
      {
        args: limit(token, "--scope", "1", "--capacity", "1.0000000000000000001"),
        problem: "--capacity 1.0000000000000000001 has 19 decimals; the token has 18",
        fix: "round it to at most 18 decimals",
      },
      {
        args: limit(token, "--scope", "1", "--capacity", "10", "--policy", "sometimes"),
        problem: "--policy sometimes is not a limit policy",
        fix: "use revert",
      },
      {
        args: limit(protocol.hub.target as string, "--scope", "1", "--capacity", "10"),
        problem: "does not answer decimals(): it is not an ERC-20",
        fix: "check the token address",
      },
      // A well-formed amount the limit library refuses: the simulation explains it.
      {
        args: limit(token, "--scope", "1", "--capacity", "0"),
        problem: "capacity 0 is zero or above",
        fix: "choose a capacity in range",
      },
    );
  });

  it("an account without the role: a stranger adds a guardian, pauses, shuts down", async function () {
    await refused(
      {
        args: ["guardians", "add", "--account", outsider, "--from", outsider],
        problem: `${outsider} does not hold GOVERNANCE_ROLE`,
        fix: "run the action through governance",
      },
      {
        args: ["pause", "--from", outsider],
        problem: `${outsider} does not hold GUARDIAN_ROLE`,
        fix: "cordon guardians add",
      },
      {
        args: ["shutdown", "--yes", "--from", outsider],
        problem: `${outsider} does not hold GOVERNANCE_ROLE`,
        fix: "run the action through governance",
      },
    );
  });

  it("shutdown without --yes: a loud warning, refused before anything is simulated or sent", async function () {
    const [outcome] = await refused({
      args: ["shutdown", "--reason", "SECURITY_DRAIN"],
      problem: "shutdown is terminal and was not confirmed: nothing was sent",
      fix: "re-run with --yes",
    });
    expect(outcome!.stdout).to.contain("SHUTDOWN IS TERMINAL");
    expect(await state()).to.equal(0n);
  });

  it("removing a guardian below the attestation threshold; queued outflow ids that do not exist", async function () {
    await send(protocol.hub, "setAttestationThreshold", 1);
    await refused(
      {
        args: ["guardians", "remove", "--account", protocol.keeper.address],
        problem: `removing ${protocol.keeper.address} leaves 0 guardian(s), below the 1 attestation(s) a resume needs`,
        fix: "add another guardian first",
      },
      {
        args: ["queue", "claim", "--id", "7"],
        problem: `queued outflow 7 of ${protocol.vault.target} does not exist`,
        fix: "pick an id from `cordon queue list`",
      },
      {
        args: ["queue", "cancel", "--id", "1,x"],
        problem: '--id 1,x: "x" is not a queued outflow id',
        fix: "comma-separated",
      },
    );
  });

  it("a resume or an unpause while an invariant fails: names the contract and the repair", async function () {
    await protocol.exploit();
    const asKeeper = protocol.hub.connect(await chain.wallet(TEST_KEYS.keeper)) as Contract;
    await send(asKeeper, "pause", 0x0101);
    await send(protocol.hub, "enterRecovery", 0, 0x0101);
    expect(await state()).to.equal(2n);
    await refused(
      {
        args: ["resume"],
        problem: `${protocol.vault.target}'s invariant check fails with code 1`,
        fix: "repair the protocol's state",
      },
      {
        args: ["unpause"],
        problem: "the hub is Recovery and cannot go to Active",
        fix: "resume from Recovery first",
      },
    );
    expect(await state()).to.equal(2n);
  });
});
