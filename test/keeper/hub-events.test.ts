/**
 * The hub's own events, as a keeper process sees them: a rate limit in TRIP mode trips inside the attacker's outflow,
 * which is a finding and an alert, and the configured action follows it with the keeper's own pause (whose finding
 * starts nothing). One exploit with several findings (the trip, and the vault's invariant failing block after block)
 * opens exactly one incident. A config that names no hub-events detector still watches the hub.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { Reasons } from "@cordon/keeper/contracts/generated/cordon.js";
import { hubInterface } from "@cordon/keeper/contracts/abi.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { HttpReceiver } from "@cordon/testkit/http-receiver.js";
import { runKeeper } from "@cordon/testkit/keeper-process.js";
import { send } from "../support/deploy.js";
import { keeperConfig } from "../support/keeper-config.js";
import { deploySampleProtocol, E18, type SampleProtocol } from "../support/protocol.js";

const SECRET = "test-webhook-secret";

/** The sample protocol with its withdrawal limit in TRIP mode, below what the exploit takes. */
async function trippingProtocol(chain: TestChain): Promise<SampleProtocol> {
  const protocol = await deploySampleProtocol(chain);
  await send(protocol.hub, "setLimit", protocol.vault.target, protocol.token.target, {
    scope: 1,
    capacity: 500n * E18,
    window: 86400,
    largeThreshold: 0,
    policy: 2, // Trip
    inflowRefills: false,
    queueDelay: 0,
  });
  return protocol;
}

/** The hub's trips and pauses (with their actors) in blocks `from` to the latest. */
async function hubEvents(chain: TestChain, protocol: SampleProtocol, from: number) {
  const logs = await chain.node.rpc<{ topics: string[]; data: string; blockNumber: string }[]>("eth_getLogs", [
    { address: String(protocol.hub.target), fromBlock: `0x${from.toString(16)}`, toBlock: "latest" },
  ]);
  return logs
    .map((log) => ({ log, event: hubInterface.parseLog(log) }))
    .filter(({ event }) => event !== null && ["LimitTripped", "StateChanged", "ScopesPaused"].includes(event.name))
    .map(({ log, event }) => ({ block: Number(log.blockNumber), name: event!.name, args: event!.args }));
}

describe("cordon watch and the hub's own events, as a separate process", function () {
  this.timeout(180_000);
  let chain: TestChain;
  let dir: string;
  let receiver: HttpReceiver;

  beforeEach(async function () {
    chain = await startTestChain(["primary", "backup-1", "backup-2"]);
    dir = mkdtempSync(path.join(tmpdir(), "cordon-hub-events-"));
    receiver = await new HttpReceiver().start();
  });

  afterEach(async function () {
    await receiver?.stop();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(file: string) {
    return runKeeper(["--config", file], {
      CORDON_GUARDIAN_KEY: TEST_KEYS.keeper,
      OPS_WEBHOOK_URL: receiver.url("/cordon"),
      OPS_WEBHOOK_SECRET: SECRET,
    });
  }

  /** Every alert received, single or in a digest. */
  const alerts = () =>
    receiver.received.flatMap((r) => (JSON.parse(r.body) as { alerts: Record<string, unknown>[] }).alerts);
  const keeperTxs = async (protocol: SampleProtocol) =>
    Number(await chain.node.rpc<string>("eth_getTransactionCount", [protocol.keeper.address, "latest"]));
  const blocksPass = async (count: number) => {
    const height = async () => Number(await chain.node.rpc<string>("eth_blockNumber"));
    const target = (await height()) + count;
    while ((await height()) < target) await new Promise((r) => setTimeout(r, 100));
  };

  it("alerts on a trip of the breaker and follows it with the configured pause; its own pause starts nothing", async function () {
    const protocol = await trippingProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    writeFileSync(
      file,
      keeperConfig(chain, protocol, path.join(dir, "data"), 0, "ops")
        .replace("detectors: [big-withdrawal, vault-invariant]", "detectors: [trips]")
        .replace(
          "detectors:\n  big-withdrawal:",
          "detectors:\n  trips:\n    kind: hub-events\n    action: pause-all\n  big-withdrawal:",
        ),
    );
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keeper = start(file);
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      const exploitBlock = await protocol.exploit();
      const [trip] = await hubEvents(chain, protocol, exploitBlock);
      expect(trip?.name, "the limit tripped inside the exploit").to.equal("LimitTripped");

      const finding = await keeper.waitFor(
        (l) => l.event === "finding" && (l.data as { event?: string })?.event === "LimitTripped",
        30_000,
      );
      expect(finding.severity).to.equal("critical");
      expect(finding.detector).to.equal("vault/trips");
      const action = await keeper.waitFor((l) => l.event === "action", 30_000);
      expect(action.status, JSON.stringify(action)).to.equal("mined");
      expect(Number(action.block) - exploitBlock, "paused in the block after the trip").to.be.at.most(1);

      const tripped = await protocol.hub.getFunction("currentSync")({ blockTag: exploitBlock });
      const sync = await protocol.hub.getFunction("currentSync")();
      expect(BigInt(sync.state), "the whole protocol is paused, not only the tripped scope").to.equal(1n);
      expect(Number(sync.expiry), "the guardian pause's own full duration").to.be.greaterThan(Number(tripped.expiry));

      // The keeper's own pause is a finding (info) that asks for nothing: blocks later, still one transaction.
      const own = await keeper.waitFor(
        (l) => l.event === "finding" && (l.data as { class?: string })?.class === "ownPause",
        30_000,
      );
      expect(own.severity).to.equal("info");
      await blocksPass(3);
      expect(await keeperTxs(protocol), "one transaction from the keeper").to.equal(1);
      expect(
        keeper.logs.filter((l) => l.event === "action"),
        "one action",
      ).to.have.length(1);

      const tripAlert = alerts().find((a) => a.detector === "vault/trips" && a.severity === "critical");
      expect(tripAlert, "an alert about the trip").to.not.equal(undefined);
      expect(String(tripAlert!.summary)).to.include("tripped its outflow limit");
      expect(
        alerts().some((a) => a.title === "Cordon paused vault"),
        "an alert about the pause",
      ).to.equal(true);

      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);
      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const incidents = store.incidents();
        expect(incidents.map((i) => [i.detector, i.firstBlock, i.actionStatus])).to.deep.equal([
          ["vault/trips", exploitBlock, "mined"],
        ]);
      } finally {
        store.close();
      }
    } finally {
      keeper.child.kill("SIGKILL");
    }
  });

  it("one exploit (a trip, then the invariant failing block after block) opens one incident, paused once", async function () {
    const protocol = await trippingProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    writeFileSync(
      file,
      keeperConfig(chain, protocol, path.join(dir, "data"), 0, "ops")
        .replace("detectors: [big-withdrawal, vault-invariant]", "detectors: [vault-invariant, trips]")
        .replace(
          "detectors:\n  big-withdrawal:",
          "detectors:\n  trips:\n    kind: hub-events\n    action: pause-all\n  big-withdrawal:",
        )
        .replace(
          "    kind: invariant\n    target: vault\n",
          "    kind: invariant\n    target: vault\n    action: pause-all\n",
        ),
    );
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keeper = start(file);
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      const exploitBlock = await protocol.exploit();
      const action = await keeper.waitFor((l) => l.event === "action" && l.status === "mined", 30_000);
      expect(Number(action.block) - exploitBlock, "paused in the block after the exploit").to.be.at.most(1);
      // The invariant keeps failing: a finding in every block, each skipped (the hub is paused).
      await keeper.waitFor(
        (l) => l.event === "finding" && l.detector === "vault/vault-invariant" && Number(l.block) >= exploitBlock + 3,
        30_000,
      );
      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);

      expect(await keeperTxs(protocol), "one transaction from the keeper").to.equal(1);
      const actions = keeper.logs.filter((l) => l.event === "action");
      expect(
        actions.filter((a) => a.status === "mined"),
        "one pause",
      ).to.have.length(1);
      expect(
        actions.filter((a) => a.status !== "mined").map((a) => a.status),
        "every later finding is skipped",
      ).to.satisfy((s: string[]) => s.length >= 3 && s.every((x) => x === "skipped"));
      expect(
        keeper.logs.filter((l) => l.event === "incident-opened"),
        "one incident opened",
      ).to.have.length(1);
      expect(
        keeper.logs.some((l) => l.event === "incident-closed"),
        "no skip closed it",
      ).to.equal(false);

      // The pause's reason on the chain is the configured one (drain), by the keeper's key.
      const pauses = (await hubEvents(chain, protocol, exploitBlock)).filter((e) => e.name === "StateChanged");
      expect(pauses.map((p) => [p.block, String(p.args.actor), Number(p.args.reason)])).to.deep.equal([
        [Number(action.block), protocol.keeper.address, Reasons.SECURITY_DRAIN],
      ]);

      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const incidents = store.incidents();
        expect(incidents, JSON.stringify(incidents)).to.have.length(1);
        const [incident] = incidents;
        expect(incident).to.include({
          protocol: "vault",
          detector: "vault/vault-invariant",
          firstBlock: exploitBlock,
          actionStatus: "mined",
          actionBlock: Number(action.block),
          closedAt: undefined,
        });
        expect(incident!.summary).to.include("reports invariant code 1");
        const findings = store.findingsFrom(exploitBlock);
        const trips = findings.filter((f) => f.detector === "vault/trips" && f.data.event === "LimitTripped");
        expect(
          trips.map((f) => f.blockNumber),
          "the trip, once",
        ).to.deep.equal([exploitBlock]);
        const acted = findings.filter((f) => f.detector === "vault/vault-invariant" || f.data.class === "trip");
        expect(incident!.findings, "every finding acted on joined the one incident").to.equal(acted.length);
      } finally {
        store.close();
      }

      // Its alerts: the invariant, the trip, and the pause.
      const received = alerts();
      expect(received.some((a) => a.detector === "vault/vault-invariant" && a.blockNumber === exploitBlock)).to.equal(
        true,
      );
      expect(received.some((a) => a.detector === "vault/trips" && a.severity === "critical")).to.equal(true);
      expect(
        received.filter((a) => a.title === "Cordon paused vault"),
        "one alert about the pause",
      ).to.have.length(1);
    } finally {
      keeper.child.kill("SIGKILL");
    }
  });

  it("watches the protocol's hub without being configured to: the trip is alerted on, and the keeper's own trip asks for nothing", async function () {
    const protocol = await trippingProtocol(chain);
    const file = path.join(dir, "keeper.yml");
    // The config names no hub-events detector: the protocol gets one with the defaults (alerts, no action).
    writeFileSync(file, keeperConfig(chain, protocol, path.join(dir, "data"), 0, "ops"));
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keeper = start(file);
    try {
      const ready = await keeper.waitFor((l) => l.event === "network-ready");
      expect(ready.detectors).to.include("vault/hub-events");
      const exploitBlock = await protocol.exploit();
      const trip = await keeper.waitFor(
        (l) => l.event === "finding" && (l.data as { event?: string })?.event === "LimitTripped",
        30_000,
      );
      expect(trip).to.include({ detector: "vault/hub-events", severity: "critical", block: exploitBlock });
      // The held outflow leaves the vault's books short: the invariant detector trips the hub with the keeper's key.
      const own = await keeper.waitFor(
        (l) => l.event === "finding" && (l.data as { event?: string })?.event === "InvariantTripped",
        30_000,
      );
      expect((own.data as { own?: boolean }).own, "the keeper's own trip").to.equal(true);
      await blocksPass(3);
      expect(await keeperTxs(protocol), "the keeper's trip, and nothing after it").to.equal(1);
      const statuses = keeper.logs.filter((l) => l.event === "action").map((a) => String(a.status));
      expect(statuses, "the trip, then the invariant's later findings skipped").to.satisfy(
        (s: string[]) => s[0] === "mined" && s.slice(1).every((x) => x === "skipped"),
      );

      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);
      const received = alerts();
      const tripAlert = received.find((a) => a.detector === "vault/hub-events" && a.blockNumber === exploitBlock);
      expect(tripAlert, JSON.stringify(received)).to.include({ severity: "critical", protocol: "vault" });
      expect(String(tripAlert!.summary)).to.include("tripped its outflow limit");
      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        expect(
          store.incidents().map((i) => i.detector),
          "one incident, the invariant's",
        ).to.deep.equal(["vault/vault-invariant"]);
      } finally {
        store.close();
      }
    } finally {
      keeper.child.kill("SIGKILL");
    }
  });

  it("a skipped action closes nothing: the exploit's later findings join its one incident, which records the pause that landed", async function () {
    const protocol = await deploySampleProtocol(chain); // its limit does not trip: the exploit's transfer goes out
    const file = path.join(dir, "keeper.yml");
    // Only the vault's invariant (its built-in response: the permissionless trip, with the protocol's key); every
    // endpoint over HTTP, where the proxies' faults apply to each request.
    writeFileSync(
      file,
      keeperConfig(chain, protocol, path.join(dir, "data"), 0, "ops")
        .replace("threshold: 500e18", "threshold: 1e30")
        .replaceAll('url: "ws://', 'url: "http://'),
    );
    // Every endpoint simulates the trip as "the invariants hold": a quorum, so the first action is skipped while the
    // hub is open.
    const invariantsHold = hubInterface.encodeErrorResult("CordonInvariantsHold", [String(protocol.vault.target)]);
    for (const proxy of chain.proxies)
      proxy.fault = { kind: "reverting", methods: ["eth_estimateGas"], data: invariantsHold };
    await chain.node.rpc("evm_setAutomine", [false]);
    await chain.node.rpc("evm_setIntervalMining", [1000]);
    const keeper = start(file);
    try {
      await keeper.waitFor((l) => l.event === "network-ready");
      // The exploit with its own gas limit: the endpoints' faulted gas estimates are for the keeper alone.
      const { vault, attacker } = protocol;
      const redeem = vault.connect(attacker).getFunction("redeem");
      const tx = await redeem(1_000n * E18, attacker.address, attacker.address, { gasLimit: 1_000_000n });
      const exploitBlock = Number((await tx.wait()).blockNumber);
      const skipped = await keeper.waitFor((l) => l.event === "action", 30_000);
      expect(skipped.status, JSON.stringify(skipped)).to.equal("skipped");
      // The invariant keeps failing: findings in later blocks, each skipped too, and the hub stays open.
      await keeper.waitFor(
        (l) => l.event === "finding" && l.detector === "vault/vault-invariant" && Number(l.block) >= exploitBlock + 2,
        30_000,
      );
      expect(BigInt(await protocol.hub.getFunction("state")()), "nothing paused the hub").to.equal(0n);

      for (const proxy of chain.proxies) proxy.fault = { kind: "none" };
      const mined = await keeper.waitFor((l) => l.event === "action" && l.status === "mined", 30_000);
      expect(BigInt(await protocol.hub.getFunction("state")()), "tripped").to.equal(1n);
      await blocksPass(2);
      keeper.child.kill("SIGTERM");
      expect(await keeper.exited, keeper.text()).to.equal(0);

      expect(await keeperTxs(protocol), "one transaction: the trip").to.equal(1);
      expect(
        keeper.logs.filter((l) => l.event === "incident-opened"),
        "one incident opened",
      ).to.have.length(1);
      expect(
        keeper.logs.some((l) => l.event === "incident-closed"),
        "the skips closed nothing",
      ).to.equal(false);
      // Each retry says what was skipped; no reorg happened, and none is claimed.
      const retries = keeper.logs.filter((l) => l.event === "responder-act-again").map((l) => String(l.why));
      expect(retries.length, keeper.text()).to.be.at.least(1);
      expect(
        retries.every((why) => /skipped before \(the invariants held/.test(why)),
        retries.join("\n"),
      ).to.equal(true);
      expect(retries.some((why) => /reorg/.test(why))).to.equal(false);

      const store = new Store(path.join(dir, "data", "local.db"), 31337);
      try {
        const incidents = store.incidents();
        expect(incidents, JSON.stringify(incidents)).to.have.length(1);
        expect(incidents[0]).to.include({
          detector: "vault/vault-invariant",
          firstBlock: exploitBlock,
          actionStatus: "mined",
          txHash: String(mined.tx),
          actionBlock: Number(mined.block),
        });
        expect(incidents[0]!.findings, "every finding acted on joined it").to.be.at.least(3);
      } finally {
        store.close();
      }
      const received = alerts();
      expect(
        received.filter((a) => a.title === "Cordon paused vault"),
        "one alert about the trip",
      ).to.have.length(1);
    } finally {
      for (const proxy of chain.proxies) proxy.fault = { kind: "none" };
      keeper.child.kill("SIGKILL");
    }
  });
});
