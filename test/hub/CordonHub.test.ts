import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse, Signer, TypedDataDomain } from "ethers";
import { network } from "hardhat";

import type { CordonHub, CordonVault } from "../../types/ethers-contracts/index.js";
import { getAccounts } from "../helpers/accounts.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const HubState = { Active: 0n, Paused: 1n, Recovery: 2n, Shutdown: 3n } as const;
const Policy = { Revert: 0, Queue: 1, Trip: 2 } as const;
const QueueStatus = { None: 0n, Pending: 1n, Claimed: 2n, Cancelled: 3n } as const;
const Reason = {
  SECURITY_DRAIN: 0x0101,
  SECURITY_INVARIANT: 0x0102,
  SECURITY_LIMIT_TRIP: 0x0105,
  MAINTENANCE_PLANNED: 0x0401,
  MAINTENANCE_UPGRADE: 0x0402,
  PAUSE_EXPIRED: 0x00ff,
} as const;
const GOVERNANCE_ROLE = ethers.id("CORDON_GOVERNANCE_ROLE");
const GUARDIAN_ROLE = ethers.id("CORDON_GUARDIAN_ROLE");
const SCOPE_DEPOSIT = 0;
const SCOPE_WITHDRAW = 1;
const HOUR = 3_600;
const DAY = 86_400;
const PAUSE_DURATION = 3 * DAY;
const COOLDOWN = DAY;
const QUEUE_DELAY = 2 * HOUR;
const E18 = 10n ** 18n;
const CAPACITY = 10_000n * E18;
const MAX_UINT = ethers.MaxUint256;

const withdrawLimit = {
  scope: SCOPE_WITHDRAW,
  capacity: CAPACITY,
  window: DAY,
  largeThreshold: 0n,
  policy: Policy.Queue as number,
  inflowRefills: false,
  queueDelay: QUEUE_DELAY,
};

const ATTESTATION_TYPES = {
  Attestation: [
    { name: "checkpointId", type: "uint256" },
    { name: "incidentId", type: "uint64" },
    { name: "digest", type: "bytes32" },
  ],
};

/** A hub with three guardians protecting the sample vault (QUEUE policy on withdrawals) and a GuardedMock. */
async function deployHub() {
  const accounts = await getAccounts(ethers);
  const { governance, guardian2, guardian3, stranger, alice, bob, flawSwitch } = accounts;
  const guardian1 = accounts.guardian;
  const token = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 18]);
  const hub = await ethers.deployContract("CordonHub", [
    governance.address,
    [guardian1.address, guardian2.address, guardian3.address],
    PAUSE_DURATION,
    COOLDOWN,
  ]);
  const hubAddress = await hub.getAddress();
  const vault = await ethers.deployContract("CordonVault", [
    await token.getAddress(),
    "Cordon USDC Vault",
    "cvUSDC",
    hubAddress,
    flawSwitch.address,
  ]);
  const mock = await ethers.deployContract("GuardedMock", [hubAddress]);
  await mock.setDigest(ethers.id("mock books v1"));
  await hub.addProtected(await vault.getAddress());
  await hub.addProtected(await mock.getAddress());
  // A limit in scope 5 lets the mock trip that scope (a protected contract trips the scopes of its limits only).
  await hub.setLimit(await mock.getAddress(), "0x000000000000000000000000000000000000a55e", {
    ...withdrawLimit,
    scope: 5,
  });
  await hub.setLimit(await vault.getAddress(), await token.getAddress(), withdrawLimit);
  for (const user of [alice, bob]) {
    await token.mint(user.address, 100_000n * E18);
    await token.connect(user).approve(await vault.getAddress(), MAX_UINT);
    await vault.connect(user).deposit(40_000n * E18, user.address);
  }
  return { governance, guardian1, guardian2, guardian3, stranger, alice, bob, flawSwitch, token, hub, vault, mock };
}

/** Sets the timestamp of the next block and returns it. */
async function nextTimestamp(secondsFromNow = 10): Promise<number> {
  const at = (await time.latest()) + secondsFromNow;
  await time.setNextBlockTimestamp(at);
  return at;
}

/** The hub's combined digest, recomputed from each protected contract's own digest. */
async function combinedDigest(hub: CordonHub): Promise<string> {
  const coder = ethers.AbiCoder.defaultAbiCoder();
  let combined = ethers.ZeroHash;
  for (const target of await hub.protectedContracts()) {
    const checkpointed = await ethers.getContractAt("ICordonCheckpointed", target);
    const digest = await checkpointed.stateDigest();
    combined = ethers.keccak256(coder.encode(["bytes32", "address", "bytes32"], [combined, target, digest]));
  }
  return combined;
}

async function attestationDomain(hub: CordonHub): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return { name: "CordonHub", version: "1", chainId, verifyingContract: await hub.getAddress() };
}

/** Guardian attestations of checkpoint `checkpointId`, sorted by signer as the hub requires. */
async function attest(hub: CordonHub, checkpointId: bigint, signers: Signer[]) {
  const checkpoint = await hub.getCheckpoint(checkpointId);
  const domain = await attestationDomain(hub);
  const value = { checkpointId, incidentId: checkpoint.incidentId, digest: checkpoint.digest };
  const attestations = await Promise.all(
    signers.map(async (signer) => ({
      signer: await signer.getAddress(),
      signature: await signer.signTypedData(domain, ATTESTATION_TYPES, value),
    })),
  );
  return attestations.sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
}

async function hookCounters(mock: Awaited<ReturnType<typeof deployHub>>["mock"]) {
  return [await mock.pauseHooks(), await mock.recoveryHooks(), await mock.resumeHooks(), await mock.shutdownHooks()];
}

describe("CordonHub", function () {
  describe("lifecycle", function () {
    it("Active -> guardian pause -> Paused -> Recovery -> checkpoint -> resume with 2-of-3 attestations -> Active", async function () {
      const { governance, guardian1, guardian2, guardian3, alice, token, hub, vault, mock } =
        await networkHelpers.loadFixture(deployHub);
      await expect(hub.setAttestationThreshold(2)).to.emit(hub, "AttestationThresholdChanged").withArgs(2n);
      const vaultAddress = await vault.getAddress();

      // The hub's digest chains every protected contract's digest in order.
      const [digest1, code1] = await hub.currentDigest();
      expect(digest1).to.equal(await combinedDigest(hub));
      expect(code1).to.equal(0n);

      // A guardian pauses: an incident opens, the state changes with a bounded expiry. The pause takes no checkpoint
      // (that would double its cost per contract): the guardian takes one in the next transaction, as the keeper does.
      const pausedAt = await nextTimestamp();
      const expiry = pausedAt + PAUSE_DURATION;
      const pause = hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await expect(pause).to.emit(hub, "IncidentOpened").withArgs(1n, guardian1.address, Reason.SECURITY_DRAIN);
      await expect(pause)
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Active, HubState.Paused, guardian1.address, Reason.SECURITY_DRAIN, expiry);
      await expect(pause).to.not.emit(hub, "CheckpointTaken");
      await expect(pause)
        .to.emit(vault, "CordonSynced")
        .withArgs(1n, guardWord(HubState.Paused, 0n, expiry));
      expect(await hub.latestCheckpointId()).to.equal(0n);
      const checkpointedAt = await nextTimestamp();
      const checkpoint = hub.connect(guardian1).checkpoint(Reason.SECURITY_DRAIN);
      await expect(checkpoint).to.emit(hub, "CheckpointTaken").withArgs(1n, 1n, digest1, 0n, Reason.SECURITY_DRAIN);
      await expect(checkpoint)
        .to.emit(hub, "ContractCheckpointed")
        .withArgs(1n, vaultAddress, await vault.stateDigest(), 0n);
      expect(await hub.state()).to.equal(HubState.Paused);
      expect(await hub.incidentId()).to.equal(1n);
      const checkpoint1 = await hub.getCheckpoint(1n);
      expect(checkpoint1.incidentId).to.equal(1n);
      expect(checkpoint1.digest).to.equal(digest1);
      expect(checkpoint1.timestamp).to.equal(BigInt(checkpointedAt));
      expect(checkpoint1.reason).to.equal(BigInt(Reason.SECURITY_DRAIN));
      await expect(mock.act(SCOPE_DEPOSIT))
        .to.be.revertedWithCustomError(mock, "CordonScopeClosed")
        .withArgs(SCOPE_DEPOSIT, HubState.Paused, 1n);

      // Governance confirms by entering Recovery from checkpoint 1: the pause no longer expires.
      const recovery = hub.connect(governance).enterRecovery(1n, Reason.SECURITY_DRAIN);
      await expect(recovery)
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Paused, HubState.Recovery, governance.address, Reason.SECURITY_DRAIN, 0);
      await expect(recovery).to.emit(hub, "RecoveryEntered").withArgs(1n, 1n, digest1);
      await time.increaseTo(expiry + DAY);
      expect(await hub.state()).to.equal(HubState.Recovery);
      await expect(hub.settleExpiry()).to.not.emit(hub, "PauseExpired");

      // Users leave through the exit path, so the books move: checkpoint 1 no longer matches the state.
      await vault.connect(alice).exitRedeem(1_000n * E18, alice.address);
      const [digest2] = await hub.currentDigest();
      expect(digest2).to.not.equal(digest1);
      await expect(hub.connect(governance).resume(1n, [], Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonDigestMismatch")
        .withArgs(digest1, digest2);

      // In Recovery only governance takes checkpoints (a guardian could otherwise front-run a resume with one).
      await expect(hub.connect(guardian2).checkpoint(Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "AccessControlUnauthorizedAccount")
        .withArgs(guardian2.address, await hub.GOVERNANCE_ROLE());
      // Governance takes a new checkpoint; resume must name it, not an older one.
      expect(await hub.connect(governance).checkpoint.staticCall(Reason.SECURITY_DRAIN)).to.equal(2n);
      await expect(hub.connect(governance).checkpoint(Reason.SECURITY_DRAIN))
        .to.emit(hub, "CheckpointTaken")
        .withArgs(2n, 1n, digest2, 0n, Reason.SECURITY_DRAIN);
      await expect(hub.connect(governance).resume(1n, [], Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonStaleCheckpoint")
        .withArgs(1n, 2n);

      // The EIP-712 hash guardians sign is the one the hub computes.
      const domain = await attestationDomain(hub);
      const value = { checkpointId: 2n, incidentId: 1n, digest: digest2 };
      expect(ethers.TypedDataEncoder.hash(domain, ATTESTATION_TYPES, value)).to.equal(await hub.attestationHash(2n));
      const signature = await guardian1.signTypedData(domain, ATTESTATION_TYPES, value);
      expect(ethers.verifyTypedData(domain, ATTESTATION_TYPES, value, signature)).to.equal(guardian1.address);

      // One attestation is not enough.
      await expect(hub.connect(governance).resume(2n, await attest(hub, 2n, [guardian1]), Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonNotEnoughAttestations")
        .withArgs(1n, 2n);

      // Two of three guardians attest: the protocol resumes and the incident closes.
      const attestations = await attest(hub, 2n, [guardian1, guardian3]);
      const resume = hub.connect(governance).resume(2n, attestations, Reason.MAINTENANCE_PLANNED);
      await expect(resume).to.emit(hub, "Resumed").withArgs(1n, 2n, digest2, 2n);
      await expect(resume)
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Recovery, HubState.Active, governance.address, Reason.MAINTENANCE_PLANNED, 0);
      await expect(resume).to.emit(hub, "IncidentClosed").withArgs(1n, governance.address);
      await expect(resume)
        .to.emit(vault, "CordonSynced")
        .withArgs(1n, guardWord(HubState.Active, 0n, 0));
      expect(await hub.state()).to.equal(HubState.Active);
      await expect(vault.connect(alice).withdraw(100n * E18, alice.address, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        100n * E18,
      );
      await expect(mock.act(SCOPE_DEPOSIT)).to.not.revert(ethers);
    });

    it("counts each guardian once, in ascending order, with a valid signature of this checkpoint", async function () {
      const { governance, guardian1, guardian2, guardian3, stranger, hub } =
        await networkHelpers.loadFixture(deployHub);
      await hub.setAttestationThreshold(2);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await hub.connect(guardian1).checkpoint(Reason.SECURITY_DRAIN); // checkpoint 1, the keeper's after its pause
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN); // takes checkpoint 2
      const id = await hub.latestCheckpointId();
      expect(id).to.equal(2n);
      const resume = (attestations: { signer: string; signature: string }[]) =>
        hub.connect(governance).resume(id, attestations, Reason.MAINTENANCE_PLANNED);
      const notEnough = (valid: bigint) => (tx: Promise<ContractTransactionResponse>) =>
        expect(tx).to.be.revertedWithCustomError(hub, "CordonNotEnoughAttestations").withArgs(valid, 2n);

      const [a1] = await attest(hub, id, [guardian1]);
      const [a2] = await attest(hub, id, [guardian2]);
      const [s] = await attest(hub, id, [stranger]);
      if (a1 === undefined || a2 === undefined || s === undefined) throw new Error("unreachable");
      // A duplicate counts once.
      await notEnough(1n)(resume([a1, a1]));
      // Someone who is not a guardian does not count.
      await notEnough(1n)(resume([a1, s].sort((x, y) => (BigInt(x.signer) < BigInt(y.signer) ? -1 : 1))));
      // Out of order: signers after a larger one are skipped.
      const [low, high] = [a1, a2].sort((x, y) => (BigInt(x.signer) < BigInt(y.signer) ? -1 : 1));
      if (low === undefined || high === undefined) throw new Error("unreachable");
      await notEnough(1n)(resume([high, low]));
      // A guardian's signature of another checkpoint does not count.
      const [old] = await attest(hub, 1n, [guardian3]);
      if (old === undefined) throw new Error("unreachable");
      await notEnough(1n)(resume([low, { signer: old.signer, signature: old.signature }]));
      // A signature claimed for another guardian does not count.
      await notEnough(1n)(resume([low, { signer: guardian3.address, signature: high.signature }]));
      await expect(resume([low, high]))
        .to.emit(hub, "Resumed")
        .withArgs(1n, id, anyDigest, 2n);
    });
  });

  describe("access-control matrix", function () {
    type Ctx = Awaited<ReturnType<typeof deployMatrix>>;
    type Role = "governance" | "guardian" | "protected" | "stranger";
    type Outcome =
      | { emits: string; on?: (ctx: Ctx) => BaseContract; args?: (caller: string, ctx: Ctx) => Promise<unknown[]> }
      | { reverts: string; args: (caller: string, ctx: Ctx) => Promise<unknown[]> };
    type Row = {
      call: string;
      setup?: (ctx: Ctx) => Promise<unknown>;
      run: (hub: CordonHub, ctx: Ctx, caller: string) => Promise<ContractTransactionResponse>;
      expected: Record<Role, Outcome>;
    };

    const ROLES: Role[] = ["governance", "guardian", "protected", "stranger"];
    const SCOPE_5 = 1n << 5n;

    /** deployHub, plus a pending queued outflow in the mock, a spare contract and the mock as a signer. */
    async function deployMatrix() {
      const ctx = await deployHub();
      const { governance, alice, token, hub, mock } = ctx;
      const mockAddress = await mock.getAddress();
      await hub.connect(governance).setLimit(mockAddress, await token.getAddress(), {
        ...withdrawLimit,
        scope: 2,
        capacity: 100n * E18,
      });
      await token.mint(mockAddress, 1_000n * E18);
      await mock.send(await token.getAddress(), alice.address, 500n * E18); // over the limit: queued as id 1
      const spare = await ethers.deployContract("GuardedMock", [await hub.getAddress()]);
      await networkHelpers.setBalance(mockAddress, 10n * E18);
      const protectedSigner = await ethers.getImpersonatedSigner(mockAddress);
      const signers: Record<Role, Signer> = {
        governance,
        guardian: ctx.guardian1,
        protected: protectedSigner,
        stranger: ctx.stranger,
      };
      return { ...ctx, spare, signers };
    }

    const ok = (emits: string, extra: Omit<Extract<Outcome, { emits: string }>, "emits"> = {}): Outcome => ({
      emits,
      ...extra,
    });
    const unauthorized = (role: string): Outcome => ({
      reverts: "AccessControlUnauthorizedAccount",
      args: async (caller) => [caller, role],
    });
    const governanceOnly = (emits: string, extra: Omit<Extract<Outcome, { emits: string }>, "emits"> = {}) => ({
      governance: ok(emits, extra),
      guardian: unauthorized(GOVERNANCE_ROLE),
      protected: unauthorized(GOVERNANCE_ROLE),
      stranger: unauthorized(GOVERNANCE_ROLE),
    });
    const everyone = (outcome: Outcome) => ({
      governance: outcome,
      guardian: outcome,
      protected: outcome,
      stranger: outcome,
    });

    const rows: Row[] = [
      {
        call: "pause",
        run: (hub) => hub.pause(Reason.SECURITY_DRAIN),
        expected: {
          governance: ok("StateChanged"),
          guardian: ok("StateChanged"),
          protected: unauthorized(GUARDIAN_ROLE),
          stranger: unauthorized(GUARDIAN_ROLE),
        },
      },
      {
        call: "pauseScopes",
        run: (hub) => hub.pauseScopes(SCOPE_5, Reason.SECURITY_DRAIN),
        expected: {
          governance: ok("ScopesPaused"),
          guardian: ok("ScopesPaused"),
          protected: unauthorized(GUARDIAN_ROLE),
          stranger: unauthorized(GUARDIAN_ROLE),
        },
      },
      {
        call: "tripOnInvariant (invariant failing)",
        setup: ({ mock }) => mock.setInvariantCode(9),
        run: async (hub, { mock }) => hub.tripOnInvariant(await mock.getAddress()),
        expected: everyone(
          ok("InvariantTripped", { args: async (caller, { mock }) => [1n, await mock.getAddress(), 9n, caller] }),
        ),
      },
      {
        call: "tripOnInvariant (invariants hold)",
        run: async (hub, { mock }) => hub.tripOnInvariant(await mock.getAddress()),
        expected: everyone({ reverts: "CordonInvariantsHold", args: async (_, { mock }) => [await mock.getAddress()] }),
      },
      {
        call: "tripFromProtected",
        run: (hub) => hub.tripFromProtected(SCOPE_5, Reason.SECURITY_LIMIT_TRIP),
        expected: {
          governance: { reverts: "CordonNotProtected", args: async (caller) => [caller] },
          guardian: { reverts: "CordonNotProtected", args: async (caller) => [caller] },
          protected: ok("LimitTripped", {
            args: async (caller) => [1n, caller, SCOPE_5, Reason.SECURITY_LIMIT_TRIP],
          }),
          stranger: { reverts: "CordonNotProtected", args: async (caller) => [caller] },
        },
      },
      {
        call: "settleExpiry (after an expired guardian pause)",
        setup: async ({ hub, guardian2 }) => {
          await hub.connect(guardian2).pause(Reason.SECURITY_DRAIN);
          await time.increase(PAUSE_DURATION);
        },
        run: (hub) => hub.settleExpiry(),
        expected: everyone(ok("PauseExpired")),
      },
      {
        call: "checkpoint",
        run: (hub) => hub.checkpoint(Reason.MAINTENANCE_PLANNED),
        expected: {
          governance: ok("CheckpointTaken"),
          guardian: ok("CheckpointTaken"),
          protected: unauthorized(GOVERNANCE_ROLE),
          stranger: unauthorized(GOVERNANCE_ROLE),
        },
      },
      {
        call: "unpause",
        setup: ({ hub, governance }) => hub.connect(governance).pause(Reason.SECURITY_DRAIN),
        run: (hub) => hub.unpause(Reason.MAINTENANCE_PLANNED),
        expected: governanceOnly("StateChanged"),
      },
      {
        call: "unpauseScopes",
        setup: ({ hub, governance }) => hub.connect(governance).pauseScopes(SCOPE_5, Reason.SECURITY_DRAIN),
        run: (hub) => hub.unpauseScopes(SCOPE_5, Reason.MAINTENANCE_PLANNED),
        expected: governanceOnly("ScopesUnpaused"),
      },
      {
        call: "enterRecovery",
        run: (hub) => hub.enterRecovery(0n, Reason.SECURITY_DRAIN),
        expected: governanceOnly("RecoveryEntered"),
      },
      {
        call: "resume",
        setup: ({ hub, governance }) => hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN),
        run: async (hub) => hub.resume(await hub.latestCheckpointId(), [], Reason.MAINTENANCE_PLANNED),
        expected: governanceOnly("Resumed"),
      },
      {
        call: "shutdown",
        run: (hub) => hub.shutdown(Reason.SECURITY_DRAIN),
        expected: governanceOnly("StateChanged"),
      },
      {
        call: "setPauseRules",
        run: (hub) => hub.setPauseRules(DAY, HOUR),
        expected: governanceOnly("PauseRulesChanged", { args: async () => [DAY, HOUR] }),
      },
      {
        call: "liftCooldown",
        run: (hub) => hub.liftCooldown(),
        expected: governanceOnly("CooldownLifted"),
      },
      {
        call: "setAttestationThreshold",
        run: (hub) => hub.setAttestationThreshold(2),
        expected: governanceOnly("AttestationThresholdChanged"),
      },
      {
        call: "setGrace",
        run: (hub) => hub.setGrace(1n << 2n, HOUR),
        expected: governanceOnly("GraceChanged"),
      },
      {
        call: "addProtected",
        run: async (hub, { spare }) => hub.addProtected(await spare.getAddress()),
        expected: governanceOnly("ProtectedContractAdded"),
      },
      {
        call: "removeProtected",
        run: async (hub, { mock }) => hub.removeProtected(await mock.getAddress()),
        expected: governanceOnly("ProtectedContractRemoved"),
      },
      {
        call: "setLimit",
        run: async (hub, { vault, token }) =>
          hub.setLimit(await vault.getAddress(), await token.getAddress(), { ...withdrawLimit, capacity: 1n }),
        expected: governanceOnly("LimitSet"),
      },
      {
        call: "cancelQueued",
        run: async (hub, { mock }) => hub.cancelQueued(await mock.getAddress(), [1n]),
        expected: governanceOnly("QueuedOutflowCancelled", { on: ({ mock }) => mock }),
      },
      {
        call: "approveQueued",
        run: async (hub, { mock }) => hub.approveQueued(await mock.getAddress(), [1n]),
        expected: governanceOnly("QueuedOutflowApproved", { on: ({ mock }) => mock }),
      },
      {
        call: "grantRole(GUARDIAN_ROLE)",
        run: (hub, { stranger }) => hub.grantRole(GUARDIAN_ROLE, stranger.address),
        expected: governanceOnly("RoleGranted"),
      },
      {
        call: "revokeRole(GUARDIAN_ROLE)",
        run: (hub, { guardian2 }) => hub.revokeRole(GUARDIAN_ROLE, guardian2.address),
        expected: governanceOnly("RoleRevoked"),
      },
      {
        call: "grantRole(GOVERNANCE_ROLE)",
        run: (hub, { stranger }) => hub.grantRole(GOVERNANCE_ROLE, stranger.address),
        expected: governanceOnly("RoleGranted"),
      },
      {
        call: "renounceRole(GUARDIAN_ROLE) for someone else",
        run: (hub, { guardian2 }) => hub.renounceRole(GUARDIAN_ROLE, guardian2.address),
        expected: everyone({ reverts: "AccessControlBadConfirmation", args: async () => [] }),
      },
    ];

    const describeOutcome = (outcome: Outcome) =>
      "emits" in outcome ? `allowed (${outcome.emits})` : `reverts ${outcome.reverts}`;

    async function check(
      tx: Promise<ContractTransactionResponse>,
      outcome: Outcome,
      caller: string,
      ctx: Ctx,
      errorSource: BaseContract,
    ) {
      if ("emits" in outcome) {
        const emitter = outcome.on ? outcome.on(ctx) : ctx.hub;
        const emitted = expect(tx).to.emit(emitter, outcome.emits);
        if (outcome.args) await emitted.withArgs(...(await outcome.args(caller, ctx)));
        else await emitted;
      } else {
        await expect(tx)
          .to.be.revertedWithCustomError(errorSource, outcome.reverts)
          .withArgs(...(await outcome.args(caller, ctx)));
      }
    }

    describe("hub functions x roles", function () {
      for (const row of rows) {
        for (const role of ROLES) {
          const outcome = row.expected[role];
          it(`${row.call} by ${role}: ${describeOutcome(outcome)}`, async function () {
            const ctx = await networkHelpers.loadFixture(deployMatrix);
            if (row.setup) await row.setup(ctx);
            const signer = ctx.signers[role];
            const caller = await signer.getAddress();
            await check(row.run(ctx.hub.connect(signer), ctx, caller), outcome, caller, ctx, ctx.hub);
          });
        }
      }
    });

    describe("CordonVault hub-only functions and flaw switch x roles", function () {
      type VaultRole = Role | "hub" | "flawSwitch";
      const VAULT_ROLES: VaultRole[] = ["governance", "guardian", "protected", "stranger", "hub", "flawSwitch"];

      /** deployMatrix, plus a queued withdrawal (id 1) in the vault and the hub as a signer. */
      async function deployVaultMatrix() {
        const ctx = await deployMatrix();
        await ctx.vault.connect(ctx.alice).withdraw(12_000n * E18, ctx.alice.address, ctx.alice.address);
        const hubAddress = await ctx.hub.getAddress();
        await networkHelpers.setBalance(hubAddress, 10n * E18);
        const hubSigner = await ethers.getImpersonatedSigner(hubAddress);
        const vaultSigners: Record<VaultRole, Signer> = {
          ...ctx.signers,
          hub: hubSigner,
          flawSwitch: ctx.flawSwitch,
        };
        return { ...ctx, vaultSigners };
      }
      type VaultCtx = Awaited<ReturnType<typeof deployVaultMatrix>>;

      const onlyHub = (emits: string): Record<VaultRole, Outcome> => {
        const denied: Outcome = {
          reverts: "CordonOnlyHub",
          args: async (caller, { hub }) => [caller, await hub.getAddress()],
        };
        return {
          governance: denied,
          guardian: denied,
          protected: denied,
          stranger: denied,
          hub: ok(emits, { on: ({ vault }) => vault }),
          flawSwitch: denied,
        };
      };
      const notFlawSwitch: Outcome = { reverts: "CordonVaultNotFlawSwitch", args: async (caller) => [caller] };

      const vaultRows: {
        call: string;
        run: (vault: CordonVault, ctx: VaultCtx) => Promise<ContractTransactionResponse>;
        expected: Record<VaultRole, Outcome>;
      }[] = [
        {
          call: "cordonSync",
          run: (vault) =>
            vault.cordonSync({
              state: HubState.Paused,
              stateExpires: false,
              expiry: 0,
              graceExpiry: 0,
              heldScopes: 0n,
              expiringScopes: 0n,
              graceScopes: 0n,
              incidentId: 7n,
              pauseEpoch: 9n,
            }),
          expected: onlyHub("CordonSynced"),
        },
        {
          call: "cordonSetLimit",
          run: async (vault, { token }) =>
            vault.cordonSetLimit(await token.getAddress(), { ...withdrawLimit, capacity: 1n }),
          expected: onlyHub("OutflowLimitSet"),
        },
        {
          call: "cordonCancelQueued",
          run: (vault) => vault.cordonCancelQueued(1n),
          expected: onlyHub("QueuedOutflowCancelled"),
        },
        {
          call: "cordonApproveQueued",
          run: (vault) => vault.cordonApproveQueued(1n),
          expected: onlyHub("QueuedOutflowApproved"),
        },
        {
          call: "setFlawed",
          run: (vault) => vault.setFlawed(true),
          expected: {
            governance: notFlawSwitch,
            guardian: notFlawSwitch,
            protected: notFlawSwitch,
            stranger: notFlawSwitch,
            hub: notFlawSwitch,
            flawSwitch: ok("FlawSwitched", { on: ({ vault }) => vault, args: async () => [true] }),
          },
        },
      ];

      for (const row of vaultRows) {
        for (const role of VAULT_ROLES) {
          const outcome = row.expected[role];
          it(`vault.${row.call} by ${role}: ${describeOutcome(outcome)}`, async function () {
            const ctx = await networkHelpers.loadFixture(deployVaultMatrix);
            const signer = ctx.vaultSigners[role];
            const caller = await signer.getAddress();
            await check(row.run(ctx.vault.connect(signer), ctx), outcome, caller, ctx, ctx.vault);
          });
        }
      }

      it("a vault deployed without a flaw switch refuses everyone", async function () {
        const { governance, token, hub } = await networkHelpers.loadFixture(deployHub);
        const vault = await ethers.deployContract("CordonVault", [
          await token.getAddress(),
          "Real Vault",
          "rv",
          await hub.getAddress(),
          ethers.ZeroAddress,
        ]);
        await expect(vault.connect(governance).setFlawed(true))
          .to.be.revertedWithCustomError(vault, "CordonVaultNotFlawSwitch")
          .withArgs(governance.address);
      });
    });
  });

  describe("scope pauses", function () {
    it("a guardian pause of scope 0 closes scope 0 only; scope 1 keeps working", async function () {
      const { guardian1, alice, token, hub, vault, mock } = await networkHelpers.loadFixture(deployHub);
      const at = await nextTimestamp();
      await expect(hub.connect(guardian1).pauseScopes(1n << 0n, Reason.SECURITY_DRAIN))
        .to.emit(hub, "ScopesPaused")
        .withArgs(1n, 1n, guardian1.address, Reason.SECURITY_DRAIN, at + PAUSE_DURATION);
      expect(await hub.state()).to.equal(HubState.Active);
      expect(await hub.isScopePaused(SCOPE_DEPOSIT)).to.equal(true);
      expect(await hub.isScopePaused(SCOPE_WITHDRAW)).to.equal(false);

      await expect(mock.act(SCOPE_DEPOSIT))
        .to.be.revertedWithCustomError(mock, "CordonScopeClosed")
        .withArgs(SCOPE_DEPOSIT, HubState.Active, 1n);
      await expect(mock.act(SCOPE_WITHDRAW)).to.not.revert(ethers);
      expect(await mock.actions()).to.equal(1n);

      await expect(vault.connect(alice).deposit(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(SCOPE_DEPOSIT, HubState.Active, 1n);
      await expect(vault.connect(alice).mint(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(SCOPE_DEPOSIT, HubState.Active, 1n);
      expect(await vault.maxDeposit(alice.address)).to.equal(0n);
      await expect(vault.connect(alice).withdraw(500n * E18, alice.address, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        500n * E18,
      );
      await expect(vault.connect(alice).exitRedeem(500n * E18, alice.address)).to.emit(vault, "Withdraw");
    });

    it("scopes above 63: pausing scope 200 closes scope 200 and nothing else", async function () {
      const { governance, guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      const scope200 = 1n << 200n;
      await expect(hub.connect(guardian1).pauseScopes(scope200, Reason.SECURITY_DRAIN))
        .to.emit(mock, "CordonSynced")
        .withArgs(1n, guardWithExpiry(HubState.Active, scope200));
      for (const scope of [0, 1, 63, 64, 127, 128, 191, 192, 199, 201, 206, 207]) {
        expect(await hub.isScopePaused(scope), `hub scope ${scope}`).to.equal(false);
        expect(await mock.isScopeOpen(scope), `mock scope ${scope}`).to.equal(true);
      }
      expect(await hub.isScopePaused(200)).to.equal(true);
      expect(await mock.isScopeOpen(200)).to.equal(false);
      await expect(mock.act(200))
        .to.be.revertedWithCustomError(mock, "CordonScopeClosed")
        .withArgs(200, HubState.Active, 1n);
      for (const scope of [0, 64, 199, 201, 207]) await mock.act(scope);
      expect(await mock.actions()).to.equal(5n);
      // Scopes stop at 207.
      await expect(mock.act(208)).to.be.revertedWithCustomError(mock, "CordonInvalidScope").withArgs(208);
      await expect(mock.isScopeOpen(255)).to.be.revertedWithCustomError(mock, "CordonInvalidScope").withArgs(255);
      await expect(
        hub.connect(governance).setLimit(await mock.getAddress(), ethers.ZeroAddress, { ...withdrawLimit, scope: 208 }),
      )
        .to.be.revertedWithCustomError(mock, "CordonInvalidScope")
        .withArgs(208);

      await hub.connect(guardian1).pauseScopes(1n << 207n, Reason.SECURITY_DRAIN);
      await expect(mock.act(207)).to.be.revertedWithCustomError(mock, "CordonScopeClosed");
      await expect(hub.connect(governance).unpauseScopes(scope200, Reason.MAINTENANCE_PLANNED))
        .to.emit(hub, "ScopesUnpaused")
        .withArgs(1n, scope200, governance.address, Reason.MAINTENANCE_PLANNED);
      await expect(mock.act(200)).to.not.revert(ethers);
      await expect(mock.act(207)).to.be.revertedWithCustomError(mock, "CordonScopeClosed");
    });

    it("bad scope masks revert CordonInvalidScopes", async function () {
      const { governance, guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      const mockAddress = await mock.getAddress();
      await networkHelpers.setBalance(mockAddress, E18);
      const asMock = hub.connect(await ethers.getImpersonatedSigner(mockAddress));
      for (const mask of [0n, 1n << 208n, (1n << 208n) | 1n, 1n << 255n, MAX_UINT]) {
        for (const pauser of [guardian1, governance]) {
          await expect(hub.connect(pauser).pauseScopes(mask, Reason.SECURITY_DRAIN))
            .to.be.revertedWithCustomError(hub, "CordonInvalidScopes")
            .withArgs(mask);
        }
        await expect(hub.connect(governance).unpauseScopes(mask, Reason.MAINTENANCE_PLANNED))
          .to.be.revertedWithCustomError(hub, "CordonInvalidScopes")
          .withArgs(mask);
        await expect(asMock.tripFromProtected(mask, Reason.SECURITY_LIMIT_TRIP))
          .to.be.revertedWithCustomError(hub, "CordonInvalidScopes")
          .withArgs(mask);
        if (mask !== 0n) {
          await expect(hub.connect(governance).setGrace(mask, HOUR))
            .to.be.revertedWithCustomError(hub, "CordonInvalidScopes")
            .withArgs(mask);
        }
      }
      // The full valid mask is accepted; an empty grace set turns grace off.
      await expect(hub.connect(guardian1).pauseScopes((1n << 208n) - 1n, Reason.SECURITY_DRAIN)).to.emit(
        hub,
        "ScopesPaused",
      );
      await expect(hub.connect(governance).setGrace(0n, 0)).to.emit(hub, "GraceChanged").withArgs(0n, 0);
    });
  });

  describe("pause rules", function () {
    it("rule 1: a guardian pause ends by itself at its expiry, with no push", async function () {
      const { guardian1, stranger, alice, token, hub, vault, mock } = await networkHelpers.loadFixture(deployHub);
      const pausedAt = await nextTimestamp();
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      const expiry = pausedAt + PAUSE_DURATION;

      await time.increaseTo(expiry - 10);
      expect(await hub.state()).to.equal(HubState.Paused);
      await time.setNextBlockTimestamp(expiry - 1);
      await expect(mock.act(SCOPE_DEPOSIT))
        .to.be.revertedWithCustomError(mock, "CordonScopeClosed")
        .withArgs(SCOPE_DEPOSIT, HubState.Paused, 1n);

      // At the expiry the guarded contracts open by themselves: nobody has pushed anything.
      await time.setNextBlockTimestamp(expiry);
      await mock.act(SCOPE_DEPOSIT);
      expect(await mock.actions()).to.equal(1n);
      expect((await vault.cordonState()).state).to.equal(HubState.Paused); // what it last heard
      expect(await vault.isScopeOpen(SCOPE_DEPOSIT)).to.equal(true);
      expect(await hub.state()).to.equal(HubState.Active);
      expect(await hub.isScopePaused(SCOPE_DEPOSIT)).to.equal(false);
      expect(await hub.cooldownUntil()).to.equal(BigInt(expiry + COOLDOWN));
      const sync = await hub.currentSync();
      expect(sync.state).to.equal(HubState.Active);
      expect(sync.expiry).to.equal(0n);
      await expect(vault.connect(alice).withdraw(100n * E18, alice.address, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        100n * E18,
      );
      await expect(vault.connect(alice).deposit(100n * E18, alice.address)).to.emit(vault, "Deposit");

      // Anyone may record the end; the cooldown runs from the expiry, not from the settlement.
      await time.increase(HOUR);
      const settle = hub.connect(stranger).settleExpiry();
      await expect(settle)
        .to.emit(hub, "PauseExpired")
        .withArgs(1n, expiry, 0n, true, expiry + COOLDOWN);
      await expect(settle)
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Paused, HubState.Active, stranger.address, Reason.PAUSE_EXPIRED, 0);
      await expect(settle).to.emit(hub, "IncidentClosed").withArgs(1n, stranger.address);
      await expect(settle)
        .to.emit(vault, "CordonSynced")
        .withArgs(1n, guardWord(HubState.Active, 0n, 0));
      expect((await vault.cordonState()).state).to.equal(HubState.Active);
      await expect(hub.settleExpiry()).to.not.emit(hub, "PauseExpired");
    });

    it("settleExpiry changes nothing before the expiry", async function () {
      const { guardian1, hub } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(guardian1).pauseScopes(1n, Reason.SECURITY_DRAIN);
      await time.increase(PAUSE_DURATION - 10);
      await expect(hub.settleExpiry()).to.not.emit(hub, "PauseExpired");
      expect(await hub.isScopePaused(0)).to.equal(true);
    });

    it("an expired scope pause reports its scopes, and the protocol-wide flag false", async function () {
      const { guardian1, hub } = await networkHelpers.loadFixture(deployHub);
      const at = await nextTimestamp();
      await hub.connect(guardian1).pauseScopes(0b101n, Reason.SECURITY_DRAIN);
      await time.increaseTo(at + PAUSE_DURATION);
      await expect(hub.settleExpiry())
        .to.emit(hub, "PauseExpired")
        .withArgs(1n, at + PAUSE_DURATION, 0b101n, false, at + PAUSE_DURATION + COOLDOWN);
    });

    it("rule 2: pausing again during an episode never moves its end", async function () {
      const { guardian1, guardian2, guardian3, hub, mock } = await networkHelpers.loadFixture(deployHub);
      const at = await nextTimestamp();
      const expiry = at + PAUSE_DURATION;
      await hub.connect(guardian1).pauseScopes(1n, Reason.SECURITY_DRAIN);
      await time.increase(DAY);
      await expect(hub.connect(guardian2).pause(Reason.SECURITY_DRAIN))
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Active, HubState.Paused, guardian2.address, Reason.SECURITY_DRAIN, expiry);
      await time.increase(DAY);
      await expect(hub.connect(guardian3).pauseScopes(1n << 9n, Reason.SECURITY_DRAIN))
        .to.emit(hub, "ScopesPaused")
        .withArgs(1n, 1n << 9n, guardian3.address, Reason.SECURITY_DRAIN, expiry);
      await time.increaseTo(expiry);
      expect(await hub.state()).to.equal(HubState.Active);
      for (const scope of [0, 9]) await mock.act(scope);
    });

    it("rule 3: the cooldown blocks guardians; governance lifts it; invariant and limit trips ignore it", async function () {
      const { governance, guardian1, guardian2, stranger, alice, token, hub, vault, mock } =
        await networkHelpers.loadFixture(deployHub);
      const at = await nextTimestamp();
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      const expiry = at + PAUSE_DURATION;
      const cooldownUntil = expiry + COOLDOWN;
      await time.increaseTo(expiry);

      // Unsettled or settled, the cooldown is the same.
      await expect(hub.connect(guardian2).pause(Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "CordonGuardianCooldown")
        .withArgs(cooldownUntil);
      await hub.settleExpiry();
      await expect(hub.connect(guardian1).pauseScopes(1n, Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "CordonGuardianCooldown")
        .withArgs(cooldownUntil);

      // Evidence is never subject to the cooldown: a failing invariant...
      const snapshot = await networkHelpers.takeSnapshot();
      await mock.setInvariantCode(3);
      const tripAt = await nextTimestamp();
      const trip = hub.connect(stranger).tripOnInvariant(await mock.getAddress());
      await expect(trip)
        .to.emit(hub, "InvariantTripped")
        .withArgs(2n, await mock.getAddress(), 3n, stranger.address);
      await expect(trip)
        .to.emit(hub, "StateChanged")
        .withArgs(
          2n,
          HubState.Active,
          HubState.Paused,
          stranger.address,
          Reason.SECURITY_INVARIANT,
          tripAt + PAUSE_DURATION,
        );
      // ...and guardians in their cooldown cannot extend that episode either.
      await expect(hub.connect(guardian1).pauseScopes(1n, Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "CordonGuardianCooldown")
        .withArgs(cooldownUntil);
      await snapshot.restore();

      // ...or a breached TRIP limit.
      await hub.connect(governance).setLimit(await vault.getAddress(), await token.getAddress(), {
        ...withdrawLimit,
        policy: Policy.Trip,
      });
      const breach = vault.connect(alice).withdraw(CAPACITY + E18, alice.address, alice.address);
      await expect(breach)
        .to.emit(hub, "LimitTripped")
        .withArgs(2n, await vault.getAddress(), 1n << BigInt(SCOPE_WITHDRAW), Reason.SECURITY_LIMIT_TRIP);
      await expect(breach)
        .to.emit(vault, "OutflowQueued")
        .withArgs(1n, await token.getAddress(), alice.address, CAPACITY + E18, anyTimestamp, true);
      expect(await hub.isScopePaused(SCOPE_WITHDRAW)).to.equal(true);

      // Governance lifts the cooldown: guardians may pause at once.
      await expect(hub.connect(governance).liftCooldown()).to.emit(hub, "CooldownLifted").withArgs(governance.address);
      expect(await hub.cooldownUntil()).to.equal(0n);
      await expect(hub.connect(guardian2).pause(Reason.SECURITY_DRAIN)).to.emit(hub, "StateChanged");
    });

    it("rule 3: the cooldown ends by itself", async function () {
      const { guardian1, hub } = await networkHelpers.loadFixture(deployHub);
      const at = await nextTimestamp();
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await time.setNextBlockTimestamp(at + PAUSE_DURATION + COOLDOWN - 1);
      await expect(hub.connect(guardian1).pause(Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "CordonGuardianCooldown")
        .withArgs(at + PAUSE_DURATION + COOLDOWN);
      await time.setNextBlockTimestamp(at + PAUSE_DURATION + COOLDOWN);
      await expect(hub.connect(guardian1).pause(Reason.SECURITY_DRAIN))
        .to.emit(hub, "IncidentOpened")
        .withArgs(2n, guardian1.address, Reason.SECURITY_DRAIN);
    });

    it("rule 4: governance pauses have no end, and governance pausing a guardian's scopes confirms them", async function () {
      const { governance, guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      await expect(hub.connect(guardian1).pauseScopes(1n, Reason.SECURITY_DRAIN)).to.emit(hub, "ScopesPaused");
      await expect(hub.connect(governance).pauseScopes(1n, Reason.SECURITY_DRAIN))
        .to.emit(hub, "ScopesPaused")
        .withArgs(1n, 1n, governance.address, Reason.SECURITY_DRAIN, 0);
      await expect(hub.connect(governance).pause(Reason.SECURITY_DRAIN))
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Active, HubState.Paused, governance.address, Reason.SECURITY_DRAIN, 0);
      await time.increase(31 * DAY);
      await expect(hub.settleExpiry()).to.not.emit(hub, "PauseExpired");
      expect(await hub.state()).to.equal(HubState.Paused);
      expect(await hub.isScopePaused(0)).to.equal(true);
      expect(await hub.cooldownUntil()).to.equal(0n); // confirmed pauses leave no cooldown
      await expect(mock.act(5)).to.be.revertedWithCustomError(mock, "CordonScopeClosed");
      // Only governance ends them.
      await expect(hub.connect(governance).unpause(Reason.MAINTENANCE_PLANNED))
        .to.emit(hub, "ScopesUnpaused")
        .withArgs(1n, 1n, governance.address, Reason.MAINTENANCE_PLANNED);
      expect(await hub.isScopePaused(0)).to.equal(false);
      await mock.act(0);
    });

    it("governance holds a guardian's protocol-wide pause by pausing too", async function () {
      const { governance, guardian1, hub } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await expect(hub.connect(governance).pause(Reason.SECURITY_DRAIN))
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Paused, HubState.Paused, governance.address, Reason.SECURITY_DRAIN, 0);
      await time.increase(PAUSE_DURATION + 1);
      expect(await hub.state()).to.equal(HubState.Paused);
    });

    it("rule 5: governance cannot return to Active while an invariant fails (or its check reverts)", async function () {
      const { governance, guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      const mockAddress = await mock.getAddress();
      await hub.connect(governance).pause(Reason.SECURITY_DRAIN);
      await mock.setInvariantCode(4);
      await expect(hub.connect(governance).unpause(Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvariantFailing")
        .withArgs(mockAddress, 4n);
      await mock.setInvariantCode(0);
      await mock.setRevertOnCheck(true);
      await expect(hub.connect(governance).unpause(Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvariantFailing")
        .withArgs(mockAddress, MAX_UINT);
      await mock.setRevertOnCheck(false);

      await hub.connect(guardian1).pauseScopes(1n, Reason.SECURITY_DRAIN);
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN);
      await mock.setInvariantCode(2);
      await expect(hub.connect(governance).unpauseScopes(1n, Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvariantFailing")
        .withArgs(mockAddress, 2n);
      const latest = await hub.latestCheckpointId();
      await expect(hub.connect(governance).resume(latest, [], Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvariantFailing")
        .withArgs(mockAddress, 2n);
      await mock.setInvariantCode(0);
      await expect(hub.connect(governance).resume(latest, [], Reason.MAINTENANCE_PLANNED)).to.emit(hub, "Resumed");
    });

    it("refuses pause rules out of bounds", async function () {
      const { governance, hub } = await networkHelpers.loadFixture(deployHub);
      const max = 30n * BigInt(DAY);
      await expect(hub.connect(governance).setPauseRules(0, 0)).to.be.revertedWithCustomError(
        hub,
        "CordonPauseDurationZero",
      );
      await expect(hub.connect(governance).setPauseRules(max + 1n, 0))
        .to.be.revertedWithCustomError(hub, "CordonPauseDurationTooLong")
        .withArgs(max + 1n, max);
      await expect(hub.connect(governance).setPauseRules(DAY, max + 1n))
        .to.be.revertedWithCustomError(hub, "CordonPauseDurationTooLong")
        .withArgs(max + 1n, max);
      await expect(hub.connect(governance).setGrace(1n, max + 1n))
        .to.be.revertedWithCustomError(hub, "CordonPauseDurationTooLong")
        .withArgs(max + 1n, max);
      await expect(hub.connect(governance).setAttestationThreshold(4))
        .to.be.revertedWithCustomError(hub, "CordonInvalidThreshold")
        .withArgs(4n, 3n);
      await expect(hub.connect(governance).setPauseRules(max, max))
        .to.emit(hub, "PauseRulesChanged")
        .withArgs(max, max);
      expect(await hub.pauseRules()).to.deep.equal([max, max, 0n, 0n, 0n]);
    });

    it("a resume with grace keeps the grace scopes paused for the grace period, with no cooldown after", async function () {
      const { governance, guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(governance).setGrace(1n << 7n, HOUR);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN);
      const at = await nextTimestamp();
      const resume = hub.connect(governance).resume(await hub.latestCheckpointId(), [], Reason.MAINTENANCE_PLANNED);
      await expect(resume)
        .to.emit(hub, "ScopesPaused")
        .withArgs(1n, 1n << 7n, governance.address, Reason.MAINTENANCE_PLANNED, at + HOUR);
      await expect(resume).to.not.emit(hub, "IncidentClosed");
      await expect(mock.act(7)).to.be.revertedWithCustomError(mock, "CordonScopeClosed");
      await mock.act(6);
      await time.increaseTo(at + HOUR);
      await mock.act(7);
      const settle = hub.settleExpiry();
      await expect(settle)
        .to.emit(hub, "PauseExpired")
        .withArgs(1n, at + HOUR, 1n << 7n, false, 0);
      await expect(settle).to.emit(hub, "IncidentClosed");
      await expect(hub.connect(guardian1).pause(Reason.SECURITY_DRAIN)).to.emit(hub, "StateChanged");
    });
  });

  describe("CordonVault queue", function () {
    it("queues a withdrawal over the limit; it is claimable only from its release time", async function () {
      const { alice, bob, token, vault } = await networkHelpers.loadFixture(deployHub);
      const tokenAddress = await token.getAddress();
      await vault.connect(alice).withdraw(8_000n * E18, alice.address, alice.address);
      const booksBefore = await vault.totalAssets();
      const shares = await vault.previewWithdraw(5_000n * E18);
      const at = await nextTimestamp();
      const release = at + QUEUE_DELAY;
      const tx = vault.connect(alice).withdraw(5_000n * E18, alice.address, alice.address);
      await expect(tx)
        .to.emit(vault, "OutflowQueued")
        .withArgs(1n, tokenAddress, alice.address, 5_000n * E18, release, false);
      await expect(tx)
        .to.emit(vault, "WithdrawalQueued")
        .withArgs(alice.address, alice.address, 5_000n * E18, shares);
      await expect(tx).to.not.emit(vault, "Withdraw");
      await expect(tx).to.changeTokenBalance(ethers, token, alice, 0n);
      expect(await vault.totalAssets()).to.equal(booksBefore - 5_000n * E18);
      expect(await vault.queuedOutstanding(tokenAddress)).to.equal(5_000n * E18);
      expect(await vault.queuedCount()).to.equal(1n);
      const queued = await vault.queuedOutflow(1n);
      expect(queued.recipient).to.equal(alice.address);
      expect(queued.releaseTime).to.equal(BigInt(release));
      expect(queued.status).to.equal(QueueStatus.Pending);
      expect(await vault.checkInvariants()).to.equal(0n);

      await time.setNextBlockTimestamp(release - 1);
      await expect(vault.connect(bob).claimQueued(1n))
        .to.be.revertedWithCustomError(vault, "CordonQueuedNotReady")
        .withArgs(1n, release);
      await time.setNextBlockTimestamp(release);
      const claim = vault.connect(bob).claimQueued(1n); // anyone may claim; the funds go to the recipient
      await expect(claim)
        .to.emit(vault, "QueuedOutflowClaimed")
        .withArgs(1n, alice.address, 5_000n * E18);
      await expect(claim).to.changeTokenBalances(ethers, token, [alice, bob], [5_000n * E18, 0n]);
      expect(await vault.queuedOutstanding(tokenAddress)).to.equal(0n);
      expect(await vault.checkInvariants()).to.equal(0n);
      await expect(vault.claimQueued(1n))
        .to.be.revertedWithCustomError(vault, "CordonQueuedNotPending")
        .withArgs(1n, QueueStatus.Claimed);
      await expect(vault.claimQueued(2n))
        .to.be.revertedWithCustomError(vault, "CordonQueuedNotPending")
        .withArgs(2n, QueueStatus.None);
    });

    it("a pause of another scope does not void a queued withdrawal", async function () {
      const { guardian1, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      await vault.connect(alice).withdraw(CAPACITY + E18, alice.address, alice.address);
      await hub.connect(guardian1).pauseScopes(1n << BigInt(SCOPE_DEPOSIT), Reason.SECURITY_DRAIN);
      await time.increase(QUEUE_DELAY);
      expect(await vault.queuedStanding(1n)).to.deep.equal([false, false]);
      await expect(vault.claimQueued(1n)).to.changeTokenBalance(ethers, token, alice, CAPACITY + E18);
    });

    it("a pause of the withdrawals voids the claim until governance re-approves it or the incident ends", async function () {
      const { governance, guardian1, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      await vault.connect(alice).withdraw(CAPACITY + E18, alice.address, alice.address);
      await vault.connect(alice).withdraw(CAPACITY + E18, alice.address, alice.address);
      const queuedEpoch = (await vault.queuedOutflow(1n)).pauseEpoch;
      await hub.connect(guardian1).pauseScopes(1n << BigInt(SCOPE_WITHDRAW), Reason.SECURITY_DRAIN);
      const [, , currentEpoch] = await vault.cordonState();
      expect(currentEpoch).to.equal(queuedEpoch + 1n);
      await time.increase(QUEUE_DELAY);
      expect(await vault.queuedStanding(1n)).to.deep.equal([true, false]);
      await expect(vault.claimQueued(1n))
        .to.be.revertedWithCustomError(vault, "CordonQueuedVoided")
        .withArgs(1n, queuedEpoch, currentEpoch);

      await expect(hub.connect(governance).approveQueued(await vault.getAddress(), [1n]))
        .to.emit(vault, "QueuedOutflowApproved")
        .withArgs(1n, currentEpoch);
      // Approved, it still waits for the exit path, which the scope's pause closes; the other waits for the end.
      await time.increase(PAUSE_DURATION);
      await expect(vault.claimQueued(1n)).to.changeTokenBalance(ethers, token, alice, CAPACITY + E18);
      await expect(vault.claimQueued(2n)).to.changeTokenBalance(ethers, token, alice, CAPACITY + E18);
    });

    it("an approved claim still waits for the exit path: closed while Paused, open once the pause expires", async function () {
      const { governance, guardian1, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      await vault.connect(alice).withdraw(CAPACITY + E18, alice.address, alice.address);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await hub.connect(governance).approveQueued(await vault.getAddress(), [1n]);
      await time.increase(QUEUE_DELAY);
      await expect(vault.claimQueued(1n))
        .to.be.revertedWithCustomError(vault, "CordonExitClosed")
        .withArgs(await token.getAddress(), HubState.Paused, 1n);
      await time.increase(PAUSE_DURATION);
      await expect(vault.claimQueued(1n)).to.changeTokenBalance(ethers, token, alice, CAPACITY + E18);
    });

    it("governance cancelling a queued withdrawal returns its assets to the books; invariants hold", async function () {
      const { governance, alice, bob, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      const tokenAddress = await token.getAddress();
      const amount = 12_000n * E18;
      await vault.connect(alice).withdraw(amount, alice.address, alice.address);
      const books = await vault.totalAssets();
      const bobValue = await vault.previewRedeem(await vault.balanceOf(bob.address));
      const digest = await vault.stateDigest();

      const cancel = hub.connect(governance).cancelQueued(await vault.getAddress(), [1n]);
      await expect(cancel).to.emit(vault, "QueuedOutflowCancelled").withArgs(1n, amount);
      await expect(cancel).to.changeTokenBalances(ethers, token, [alice, vault], [0n, 0n]);
      expect(await vault.totalAssets()).to.equal(books + amount);
      expect(await vault.queuedOutstanding(tokenAddress)).to.equal(0n);
      expect(await vault.checkInvariants()).to.equal(0n);
      expect(await vault.stateDigest()).to.not.equal(digest);
      // The remaining holders own the returned assets until governance decides restitution.
      expect(await vault.previewRedeem(await vault.balanceOf(bob.address))).to.be.greaterThan(bobValue);
      expect((await hub.currentDigest()).invariantCode).to.equal(0n);

      await time.increase(QUEUE_DELAY);
      await expect(vault.claimQueued(1n))
        .to.be.revertedWithCustomError(vault, "CordonQueuedNotPending")
        .withArgs(1n, QueueStatus.Cancelled);
      await expect(hub.connect(governance).cancelQueued(await vault.getAddress(), [1n]))
        .to.be.revertedWithCustomError(vault, "CordonQueuedNotPending")
        .withArgs(1n, QueueStatus.Cancelled);
      await expect(hub.connect(governance).approveQueued(await vault.getAddress(), [1n]))
        .to.be.revertedWithCustomError(vault, "CordonQueuedNotPending")
        .withArgs(1n, QueueStatus.Cancelled);
      await expect(hub.connect(governance).cancelQueued(bob.address, [1n]))
        .to.be.revertedWithCustomError(hub, "CordonNotProtected")
        .withArgs(bob.address);
    });

    it("queues transfers above the large threshold even with room, under QUEUE and REVERT alike", async function () {
      const { governance, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      const large = 2_500n * E18; // a quarter of the capacity: 512/2048ths, kept exactly
      for (const policy of [Policy.Queue, Policy.Revert]) {
        await hub.connect(governance).setLimit(await vault.getAddress(), await token.getAddress(), {
          ...withdrawLimit,
          largeThreshold: large,
          policy,
        });
        const [params, , available] = await vault.outflowLimit(await token.getAddress());
        expect(params.largeThreshold).to.equal(large);
        expect(available).to.be.greaterThan(large + E18);
        const tx = vault.connect(alice).withdraw(large + 1n, alice.address, alice.address);
        await expect(tx).to.emit(vault, "OutflowQueued");
        await expect(tx).to.changeTokenBalance(ethers, token, alice, 0n);
        await expect(vault.connect(alice).withdraw(large, alice.address, alice.address)).to.changeTokenBalance(
          ethers,
          token,
          alice,
          large,
        );
      }
    });

    it("under the REVERT policy a breach reverts CordonOutflowLimited with the exact wait", async function () {
      const { governance, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      const tokenAddress = await token.getAddress();
      await hub.connect(governance).setLimit(await vault.getAddress(), tokenAddress, {
        ...withdrawLimit,
        policy: Policy.Revert,
      });
      const spentAt = await nextTimestamp();
      await vault.connect(alice).withdraw(9_000n * E18, alice.address, alice.address);
      const amount = 3_000n * E18;

      const at = spentAt + HOUR;
      await time.setNextBlockTimestamp(at);
      // The pending block is the one the withdrawal will be mined in.
      const wait = await vault.outflowWait(tokenAddress, amount, { blockTag: "pending" });
      const [, , available] = await vault.outflowLimit(tokenAddress, { blockTag: "pending" });
      // 2,000 more must refill at 10,000 per day: 17,280 s from the spend, one hour of which has passed.
      expect(wait).to.equal(BigInt(17_280 - HOUR));
      expect(available).to.equal(CAPACITY - 9_000n * E18 + (CAPACITY * BigInt(HOUR)) / BigInt(DAY));
      await expect(vault.connect(alice).withdraw(amount, alice.address, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonOutflowLimited")
        .withArgs(tokenAddress, amount, available, wait);

      // One second before the wait is over it still reverts; at the end of it, it is paid.
      await time.setNextBlockTimestamp(at + Number(wait) - 1);
      await expect(vault.connect(alice).withdraw(amount, alice.address, alice.address)).to.be.revertedWithCustomError(
        vault,
        "CordonOutflowLimited",
      );
      await time.setNextBlockTimestamp(at + Number(wait));
      await expect(vault.connect(alice).withdraw(amount, alice.address, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        amount,
      );
      // Above the capacity the wait is forever.
      await expect(vault.connect(alice).withdraw(CAPACITY + 1n, alice.address, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonOutflowLimited")
        .withArgs(tokenAddress, CAPACITY + 1n, anyAmount, MAX_UINT);
    });

    it("deposits give withdrawal capacity back only when inflowRefills is set", async function () {
      const { governance, alice, bob, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      const tokenAddress = await token.getAddress();
      await vault.connect(alice).withdraw(CAPACITY, alice.address, alice.address);
      await vault.connect(bob).deposit(6_000n * E18, bob.address);
      let [, used] = await vault.outflowLimit(tokenAddress);
      expect(used).to.be.greaterThan(CAPACITY - E18); // a few seconds of refill only
      await expect(vault.connect(alice).withdraw(5_000n * E18, alice.address, alice.address)).to.emit(
        vault,
        "WithdrawalQueued",
      );

      await hub.connect(governance).setLimit(await vault.getAddress(), tokenAddress, {
        ...withdrawLimit,
        inflowRefills: true,
      });
      await vault.connect(bob).deposit(6_000n * E18, bob.address);
      [, used] = await vault.outflowLimit(tokenAddress);
      expect(used).to.be.lessThan(4_000n * E18 + E18);
      await expect(vault.connect(alice).withdraw(5_000n * E18, alice.address, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        5_000n * E18,
      );
    });
  });

  describe("CordonVault ERC-4626 surface", function () {
    it("mint, withdraw on behalf of an owner, and an asset without a limit", async function () {
      const { alice, bob, token, vault, mock } = await networkHelpers.loadFixture(deployHub);
      expect(await vault.decimals()).to.equal(18n);
      expect(await vault.maxMint(alice.address)).to.equal(MAX_UINT);
      const assets = await vault.previewMint(100n * E18);
      await expect(vault.connect(alice).mint(100n * E18, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        -assets,
      );
      // Bob withdraws Alice's assets with her allowance of shares.
      const shares = await vault.previewWithdraw(50n * E18);
      await vault.connect(alice).approve(bob.address, shares);
      await expect(vault.connect(bob).withdraw(50n * E18, bob.address, alice.address))
        .to.emit(vault, "Withdraw")
        .withArgs(bob.address, bob.address, alice.address, 50n * E18, shares);
      expect(await vault.allowance(alice.address, bob.address)).to.equal(0n);
      // An outflow of an asset governance set no limit for cannot leave.
      await expect(mock.send(await token.getAddress(), alice.address, 1n))
        .to.be.revertedWithCustomError(mock, "CordonOutflowNotConfigured")
        .withArgs(await token.getAddress());
    });
  });

  describe("Recovery and Shutdown exit path", function () {
    it("a guarded contract's exit path pays in Recovery while its normal outflow path is closed", async function () {
      const { governance, alice, token, hub, mock } = await networkHelpers.loadFixture(deployHub);
      const mockAddress = await mock.getAddress();
      const tokenAddress = await token.getAddress();
      await hub.connect(governance).setLimit(mockAddress, tokenAddress, { ...withdrawLimit, scope: 2 });
      await token.mint(mockAddress, 1_000n * E18);
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN);
      await expect(mock.send(tokenAddress, alice.address, E18))
        .to.be.revertedWithCustomError(mock, "CordonScopeClosed")
        .withArgs(2, HubState.Recovery, 1n);
      await expect(mock.exit(tokenAddress, alice.address, E18)).to.changeTokenBalance(ethers, token, alice, E18);
    });

    it("a TRIP breach on the exit path in Recovery is queued without a trip (the hub cannot pause then)", async function () {
      const { governance, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(governance).setLimit(await vault.getAddress(), await token.getAddress(), {
        ...withdrawLimit,
        policy: Policy.Trip,
      });
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN);
      const shares = await vault.balanceOf(alice.address);
      const assets = await vault.previewRedeem(shares);
      const exit = vault.connect(alice).exitRedeem(shares, alice.address);
      await expect(exit)
        .to.emit(vault, "OutflowQueued")
        .withArgs(1n, await token.getAddress(), alice.address, assets, anyTimestamp, false);
      await expect(exit).to.not.emit(hub, "LimitTripped");
      expect(await hub.state()).to.equal(HubState.Recovery);
    });

    it("in Recovery, withdraw and redeem are closed but exitRedeem pays the proportional amount", async function () {
      const { governance, alice, bob, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      // Make the share price differ from 1: a cancelled withdrawal returns its assets to the remaining holders.
      await vault.connect(bob).withdraw(12_000n * E18, bob.address, bob.address);
      await hub.connect(governance).cancelQueued(await vault.getAddress(), [1n]);
      await expect(hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN))
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Active, HubState.Recovery, governance.address, Reason.SECURITY_DRAIN, 0);

      await expect(vault.connect(alice).withdraw(E18, alice.address, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(SCOPE_WITHDRAW, HubState.Recovery, 1n);
      await expect(vault.connect(alice).redeem(E18, alice.address, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(SCOPE_WITHDRAW, HubState.Recovery, 1n);
      await expect(vault.connect(alice).deposit(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(SCOPE_DEPOSIT, HubState.Recovery, 1n);
      expect(await vault.maxWithdraw(alice.address)).to.equal(0n);
      expect(await vault.maxRedeem(alice.address)).to.equal(0n);

      const shares = 6_000n * E18;
      const totalAssets = await vault.totalAssets();
      const totalSupply = await vault.totalSupply();
      // ERC-4626 with OpenZeppelin's virtual share and asset of 1.
      const expected = (shares * (totalAssets + 1n)) / (totalSupply + 1n);
      expect(expected).to.be.greaterThan(shares);
      expect(await vault.previewRedeem(shares)).to.equal(expected);
      const exit = vault.connect(alice).exitRedeem(shares, alice.address);
      await expect(exit).to.changeTokenBalance(ethers, token, alice, expected);
      await expect(exit)
        .to.emit(vault, "Withdraw")
        .withArgs(alice.address, alice.address, alice.address, expected, shares);
      expect(await vault.totalAssets()).to.equal(totalAssets - expected);
      expect(await vault.checkInvariants()).to.equal(0n);

      // The exit path is still rate limited: beyond the capacity it is queued (the hub cannot trip in Recovery).
      const rest = await vault.balanceOf(alice.address);
      const restAssets = await vault.previewRedeem(rest);
      const queued = vault.connect(alice).exitRedeem(rest, alice.address);
      await expect(queued).to.emit(vault, "WithdrawalQueued").withArgs(alice.address, alice.address, restAssets, rest);
      await expect(queued).to.changeTokenBalance(ethers, token, alice, 0n);
      await time.increase(QUEUE_DELAY);
      await expect(vault.claimQueued(2n)).to.changeTokenBalance(ethers, token, alice, restAssets);
    });

    it("while Paused, exitRedeem is closed (CordonExitClosed); a paused withdraw scope closes it too", async function () {
      const { governance, guardian1, alice, token, hub, vault } = await networkHelpers.loadFixture(deployHub);
      const tokenAddress = await token.getAddress();
      await hub.connect(guardian1).pauseScopes(1n << BigInt(SCOPE_WITHDRAW), Reason.SECURITY_DRAIN);
      await expect(vault.connect(alice).exitRedeem(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonExitClosed")
        .withArgs(tokenAddress, HubState.Active, 1n);
      await hub.connect(governance).pause(Reason.SECURITY_DRAIN);
      await expect(vault.connect(alice).exitRedeem(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonExitClosed")
        .withArgs(tokenAddress, HubState.Paused, 1n);
      // Recovery opens it.
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN);
      await expect(vault.connect(alice).exitRedeem(E18, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        E18,
      );
    });

    it("after Shutdown exitRedeem still pays and nothing else works; Shutdown is never left (rule 6)", async function () {
      const { governance, guardian1, stranger, alice, token, hub, vault, mock } =
        await networkHelpers.loadFixture(deployHub);
      await vault.connect(alice).withdraw(CAPACITY + E18, alice.address, alice.address); // queued before
      await expect(hub.connect(governance).shutdown(Reason.SECURITY_DRAIN))
        .to.emit(hub, "StateChanged")
        .withArgs(1n, HubState.Active, HubState.Shutdown, governance.address, Reason.SECURITY_DRAIN, 0);
      await time.increase(31 * DAY);
      expect(await hub.state()).to.equal(HubState.Shutdown);

      const closed = (scope: number) => [scope, HubState.Shutdown, 1n] as const;
      await expect(vault.connect(alice).deposit(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(...closed(SCOPE_DEPOSIT));
      await expect(vault.connect(alice).mint(E18, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(...closed(SCOPE_DEPOSIT));
      await expect(vault.connect(alice).withdraw(E18, alice.address, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(...closed(SCOPE_WITHDRAW));
      await expect(vault.connect(alice).redeem(E18, alice.address, alice.address))
        .to.be.revertedWithCustomError(vault, "CordonScopeClosed")
        .withArgs(...closed(SCOPE_WITHDRAW));
      for (let scope = 0; scope < 208; scope += 23) {
        await expect(mock.act(scope)).to.be.revertedWithCustomError(mock, "CordonScopeClosed");
      }

      const expected = await vault.previewRedeem(1_000n * E18);
      await expect(vault.connect(alice).exitRedeem(1_000n * E18, alice.address)).to.changeTokenBalance(
        ethers,
        token,
        alice,
        expected,
      );
      // A withdrawal queued before the shutdown is still paid (shutdown does not bump the pause epoch).
      await expect(vault.claimQueued(1n)).to.changeTokenBalance(ethers, token, alice, CAPACITY + E18);

      // No transition leaves Shutdown.
      const invalid = (to: bigint) => [HubState.Shutdown, to] as const;
      await expect(hub.connect(guardian1).pause(Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Paused));
      await expect(hub.connect(governance).pauseScopes(1n, Reason.SECURITY_DRAIN))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Paused));
      await expect(hub.connect(governance).unpause(Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Active));
      await expect(hub.connect(governance).enterRecovery(0n, Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Recovery));
      await expect(hub.connect(governance).resume(await hub.latestCheckpointId(), [], Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Active));
      await expect(hub.connect(governance).shutdown(Reason.MAINTENANCE_PLANNED))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Shutdown));
      await mock.setInvariantCode(1);
      await expect(hub.connect(stranger).tripOnInvariant(await mock.getAddress()))
        .to.be.revertedWithCustomError(hub, "CordonInvalidTransition")
        .withArgs(...invalid(HubState.Paused));
      await mock.setInvariantCode(0);
      // Unpausing scopes changes nothing about the state.
      await hub.connect(governance).unpauseScopes(1n, Reason.MAINTENANCE_PLANNED);
      expect(await hub.state()).to.equal(HubState.Shutdown);
      await expect(mock.act(0)).to.be.revertedWithCustomError(mock, "CordonScopeClosed");
    });
  });

  describe("hooks", function () {
    it("GuardedMock's pause, recovery, resume and shutdown hooks run on the right transitions", async function () {
      const { governance, guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      expect(await hookCounters(mock)).to.deep.equal([0n, 0n, 0n, 0n]);

      await hub.connect(guardian1).pauseScopes(1n << 3n, Reason.SECURITY_DRAIN); // a scope pause in Active
      expect(await hookCounters(mock)).to.deep.equal([1n, 0n, 0n, 0n]);
      await hub.connect(guardian1).checkpoint(Reason.SECURITY_DRAIN); // no push, no hook
      await hub.connect(governance).unpauseScopes(1n << 3n, Reason.MAINTENANCE_PLANNED); // no new pause
      expect(await hookCounters(mock)).to.deep.equal([1n, 0n, 0n, 0n]);
      await hub.connect(governance).liftCooldown(); // ending a guardian's episode early started the cooldown

      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN); // Active -> Paused
      expect(await hookCounters(mock)).to.deep.equal([2n, 0n, 0n, 0n]);
      await hub.connect(governance).enterRecovery(0n, Reason.SECURITY_DRAIN); // Paused -> Recovery
      expect(await hookCounters(mock)).to.deep.equal([2n, 1n, 0n, 0n]);
      await hub.connect(governance).resume(await hub.latestCheckpointId(), [], Reason.MAINTENANCE_PLANNED);
      expect(await hookCounters(mock)).to.deep.equal([2n, 1n, 1n, 0n]); // Recovery -> Active

      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      expect(await hookCounters(mock)).to.deep.equal([3n, 1n, 1n, 0n]);
      await time.increase(PAUSE_DURATION);
      expect(await hookCounters(mock)).to.deep.equal([3n, 1n, 1n, 0n]); // an expiry alone pushes nothing
      await hub.settleExpiry(); // the recorded end is a return to Active
      expect(await hookCounters(mock)).to.deep.equal([3n, 1n, 2n, 0n]);

      await hub.connect(governance).shutdown(Reason.SECURITY_DRAIN); // Active -> Shutdown
      expect(await hookCounters(mock)).to.deep.equal([3n, 1n, 2n, 1n]);
    });

    it("a new pause after an expired pause nobody settled runs the pause hook", async function () {
      // Regression: the contract last heard Paused (the expiry needs no push), so the new incident's Paused looked
      // like no change and its pause hook never ran.
      const { guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      expect(await hookCounters(mock)).to.deep.equal([1n, 0n, 0n, 0n]);
      await time.increase(PAUSE_DURATION + COOLDOWN);
      await expect(hub.connect(guardian1).pause(Reason.SECURITY_DRAIN))
        .to.emit(hub, "IncidentOpened")
        .withArgs(2n, guardian1.address, Reason.SECURITY_DRAIN);
      expect(await hookCounters(mock)).to.deep.equal([2n, 0n, 0n, 0n]);
    });

    it("a scope pause after an expired pause nobody settled runs the resume hook, then the pause hook", async function () {
      const { guardian1, hub, mock } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      await time.increase(PAUSE_DURATION + COOLDOWN);
      await hub.connect(guardian1).pauseScopes(1n << 4n, Reason.SECURITY_DRAIN);
      expect(await hookCounters(mock)).to.deep.equal([2n, 0n, 1n, 0n]);
    });

    it("a contract added while the protocol is paused hears the state at once", async function () {
      const { governance, guardian1, hub } = await networkHelpers.loadFixture(deployHub);
      await hub.connect(guardian1).pause(Reason.SECURITY_DRAIN);
      const late = await ethers.deployContract("GuardedMock", [await hub.getAddress()]);
      await expect(hub.connect(governance).addProtected(await late.getAddress()))
        .to.emit(late, "CordonSynced")
        .withArgs(1n, guardWithExpiry(HubState.Paused, 0n));
      expect(await late.pauseHooks()).to.equal(1n);
      await expect(late.act(0)).to.be.revertedWithCustomError(late, "CordonScopeClosed");
      await expect(hub.connect(governance).addProtected(await late.getAddress()))
        .to.be.revertedWithCustomError(hub, "CordonAlreadyProtected")
        .withArgs(await late.getAddress());
    });
  });
});

/** The guard word a `CordonSynced` event carries: [0..7] state, [8..46] expiry, [47] always set, [48..] scopes. */
function guardWord(state: bigint, scopes: bigint, expiry: number | bigint): bigint {
  return state | ((BigInt(expiry) & ((1n << 39n) - 1n)) << 8n) | (1n << 47n) | (scopes << 48n);
}

/** Matches a guard word with this state and these scopes, and some expiry. */
function guardWithExpiry(state: bigint, scopes: bigint): (word: bigint) => boolean {
  return (word) =>
    (word & 0xffn) === state &&
    word >> 48n === scopes &&
    ((word >> 8n) & ((1n << 39n) - 1n)) > 0n &&
    (word & (1n << 47n)) !== 0n;
}

function anyDigest(value: unknown): boolean {
  return typeof value === "string" && /^0x[0-9a-f]{64}$/.test(value);
}

function anyTimestamp(value: unknown): boolean {
  return typeof value === "bigint" && value > 0n;
}

function anyAmount(value: unknown): boolean {
  return typeof value === "bigint";
}
