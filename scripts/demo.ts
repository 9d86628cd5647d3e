/**
 * `npm run demo`: an incident from the first block to the downtime report, with every part real. A local `hardhat
 * node` behind three RPC endpoints (fault-injecting proxies from test/support/); the sample vault under a CordonHub
 * whose governance is a real 2-of-3 Safe; the keeper (src/keeper) watching through the three endpoints, one of which
 * goes down before the attack. The attacker drains the vault through its deliberate flaw in one transaction: the
 * withdrawal limit trips the breaker inside that transaction, the keeper detects the drain and pauses the whole
 * protocol in the next block. Governance then verifies the state against the pause's checkpoint with eth_getProof,
 * and through the Safe enters recovery, cancels the queued withdrawal, restores the missing funds, checkpoints and
 * resumes with two guardians' attestations. Last, the downtime report from the chain and the keeper's store.
 *
 * Prints numbered steps with elapsed seconds and a summary; writes the keeper's config, log and store and the report
 * under bench/out/demo/. Stops every process it started, on success, error, SIGINT and SIGTERM.
 */
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

import { type EventLog, Interface, Wallet, formatEther, id } from "ethers";

import { parseConfig } from "@cordon/keeper/config/load.js";
import { resolveSecrets } from "@cordon/keeper/config/secrets.js";
import { erc20Interface, TRANSFER_TOPIC } from "@cordon/keeper/contracts/abi.js";
import { deployDrillProtocol, E18, LIMIT_CAPACITY } from "./drills/protocol.js";
import { SCENARIOS } from "./drills/scenarios.js";
import { ROLES, hubStateName } from "@cordon/keeper/governance/abi.js";
import { loadAttestations, signAttestation } from "@cordon/keeper/governance/attest.js";
import { type GovernanceCall, SafeExecutor, execute } from "@cordon/keeper/governance/executor.js";
import { REASONS } from "@cordon/keeper/governance/reasons.js";
import { type VerifyResult, renderVerification, verifyState } from "@cordon/keeper/governance/verify.js";
import { Keeper } from "@cordon/keeper/keeper/service.js";
import { createLogger } from "@cordon/keeper/ops/logger.js";
import { buildReport, writeReport } from "@cordon/keeper/report/report.js";
import { findChromium, svgToPng } from "@cordon/keeper/report/render/png.js";
import { renderTable } from "@cordon/keeper/report/render/table.js";
import { duration } from "@cordon/keeper/report/render/format.js";
import { RpcPool } from "@cordon/keeper/rpc/pool.js";
import { Store } from "@cordon/keeper/store/store.js";
import { TEST_KEYS, type TestChain, startTestChain } from "@cordon/testkit/chain.js";
import { send } from "../test/support/deploy.js";
import { deploySafe } from "../test/support/safe.js";

// node:sqlite (the keeper's store) warns that it is experimental; every other warning is still printed.
const warningHandlers = process.listeners("warning");
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "ExperimentalWarning") for (const handler of warningHandlers) handler(warning);
});

const OUT = path.resolve("bench/out/demo");
const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1).padStart(5);
let stepNo = 0;
const step = (title: string) => console.log(`\n[${elapsed()} s] ${++stepNo}. ${title}`);
const say = (line = "") => console.log(line === "" ? "" : `          ${line}`);
const usdc = (x: bigint) => Number(formatEther(x)).toLocaleString("en-US", { maximumFractionDigits: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The demo fails (exit 1) rather than tell a story the chain does not back. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`demo check failed: ${what}`);
}

const vaultEvents = new Interface([
  "event WithdrawalQueued(address indexed owner, address indexed receiver, uint256 assets, uint256 shares)",
  "event LimitTripped(uint64 indexed incidentId, address indexed target, uint256 scopes, uint16 reason)",
]);

/** `text` with the demo's addresses by name and 18-decimal amounts in whole tokens. */
function humanize(text: string, names: Record<string, string>): string {
  let out = text;
  for (const [address, name] of Object.entries(names)) out = out.replaceAll(address, name);
  return out.replace(/\b\d{19,}\b/g, (n) => usdc(BigInt(n)));
}

/** One JSON line the keeper logged. */
type LogLine = Record<string, unknown> & { event?: string; msg?: string; time?: string };

/** The keeper's log: every line to `file`, and kept in memory so the demo can wait for events. */
class KeeperLog extends Writable {
  readonly lines: LogLine[] = [];
  private readonly file;
  private partial = "";

  constructor(file: string) {
    super();
    this.file = createWriteStream(file);
  }

  override _write(chunk: Buffer, _encoding: string, done: (error?: Error | null) => void): void {
    this.file.write(chunk);
    const text = this.partial + chunk.toString();
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") this.lines.push(JSON.parse(line) as LogLine);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.file.end(() => done());
  }

  /** Waits for the first line from index `from` on that `match` accepts. */
  async waitFor(match: (line: LogLine) => boolean, timeoutMs: number, from = 0): Promise<LogLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found !== undefined || Date.now() > deadline) return found;
      await sleep(50);
    }
  }
}

/** A verification in a few lines; the full table goes to `file`. */
function showVerification(result: VerifyResult, file: string): void {
  writeFileSync(file, renderVerification(result));
  const { block } = result;
  const silent = result.endpoints.filter((e) => !block.agreed.includes(e));
  say(
    `block ${block.number}: state root ${block.stateRoot.slice(0, 18)}... agreed by ${block.agreed.join(", ")}` +
      (silent.length > 0 ? ` (no answer from ${silent.join(", ")})` : ""),
  );
  const tally = result.endpoints.map((name) => {
    const counts = { ok: 0, differs: 0, error: 0 };
    for (const check of result.checks) {
      const cell = check.cells[name];
      if (cell !== undefined) counts[cell.status] += 1;
    }
    const wrong = counts.differs > 0 ? `, ${counts.differs} DIFFER` : "";
    return `${name} ${counts.ok} ok${wrong}${counts.error > 0 ? `, ${counts.error} unanswered` : ""}`;
  });
  say(`${result.checks.length} checks against the proven values: ${tally.join("; ")}`);
  say(`checkpoint ${result.checkpoint.id} digest ${result.checkpoint.digest}`);
  say(`state now     digest ${result.current}`);
  const lies = result.liars.size === 0 ? "no endpoint lied" : `LIED: ${[...result.liars.keys()].join(", ")}`;
  say(
    `${result.matches ? "the state matches" : "the state DIFFERS from"} checkpoint ${result.checkpoint.id}; ${lies} ` +
      `(table: ${path.relative(process.cwd(), file)})`,
  );
}

function keeperConfig(chain: TestChain, hub: string, token: string, vault: string, dataDir: string, start: number) {
  return `# written by npm run demo
dataDir: ${dataDir}
networks:
  local:
    chainId: 31337
    endpoints:
${chain.proxies.map((p) => `      - { name: ${p.name}, url: "${p.url}", timeoutMs: 1000 }`).join("\n")}
    pollIntervalMs: 100
    startBlock: ${start}
keys:
  guardian: { env: CORDON_GUARDIAN_KEY }
protocols:
  vault:
    network: local
    hub: "${hub}"
    contracts:
      usdc: "${token}"
      vault: "${vault}"
    detectors: [big-withdrawal, withdrawal-volume, vault-invariant]
detectors:
  big-withdrawal: { kind: large-transfer, token: usdc, from: vault, threshold: 5000e18, severity: critical, action: pause-all }
  withdrawal-volume:
    { kind: outflow-volume, token: usdc, from: vault, windowBlocks: 20, threshold: 3000e18, severity: critical, action: pause-all }
  vault-invariant: { kind: invariant, target: vault }
actions:
  pause-all: { kind: pause, reason: security, key: guardian }
log: { level: info }
`;
}

let chain: TestChain | undefined;
let keeper: Keeper | undefined;
let keeperLog: KeeperLog | undefined;

/** Stops the keeper, the proxies and the node; safe to call more than once. */
async function cleanup(): Promise<void> {
  const k = keeper;
  keeper = undefined;
  await k?.stop().catch(() => {});
  const log = keeperLog;
  keeperLog = undefined;
  if (log !== undefined) await new Promise<void>((resolve) => log.end(resolve));
  const c = chain;
  chain = undefined;
  await c?.stop().catch(() => {});
}

// On SIGINT or SIGTERM: stop everything, then exit. On any exit: the node process never outlives the demo.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the keeper, the endpoints and the node`);
    void cleanup().finally(() => process.exit(code));
  });
}
process.once("exit", () => {
  if (chain?.node.process.exitCode === null) chain.node.process.kill("SIGKILL");
});

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  console.log("Cordon demo: a vault under Cordon is drained; the breaker and the keeper stop it; governance recovers");
  console.log(`(files in ${path.relative(process.cwd(), OUT)}/)`);

  // ── the chain ──
  step("Starting a local chain: a `hardhat node` process behind three RPC endpoints");
  chain = await startTestChain(["primary", "backup-1", "backup-2"], { network: "cordonDemo" });
  const c = chain;
  c.provider.pollingInterval = 100; // receipts as soon as they are mined
  const { rpc } = c.node;
  say(`node ${c.node.url} (pid ${c.node.process.pid})`);
  say(`endpoints: ${c.proxies.map((p) => `${p.name} ${p.url}`).join(", ")}`);

  // ── the protocol and its governance ──
  step("Deploying the sample protocol guarded by Cordon, governed by a 2-of-3 Safe");
  const p = await deployDrillProtocol(c);
  const hubAddress = String(p.hub.target);
  const vaultAddress = String(p.vault.target);
  const tokenAddress = String(p.token.target);
  const owners = [1, 2, 3].map((i) => new Wallet(id(`cordon demo: Safe owner ${i}`), c.provider));
  await c.wallet(owners[0]!.privateKey); // the owner who submits the Safe's transactions pays their gas
  const council = new Wallet(id("cordon demo: security council"), c.provider);
  const safe = await deploySafe(
    await c.wallet(TEST_KEYS.deployer),
    owners.map((o) => o.address),
    2,
  );
  const safeAddress = String(safe.target);
  await send(p.hub, "grantRole", ROLES.GUARDIAN_ROLE, council.address);
  await send(p.hub, "setAttestationThreshold", 2);
  await send(p.hub, "grantRole", ROLES.GOVERNANCE_ROLE, safeAddress);
  await send(p.hub, "renounceRole", ROLES.GOVERNANCE_ROLE, p.admin.address);
  const deployedAt = await c.provider.getBlockNumber();
  const adminHolds = (await p.hub.getFunction("hasRole")(ROLES.GOVERNANCE_ROLE, p.admin.address)) as boolean;
  say(`USDC ${tokenAddress}, CordonHub ${hubAddress}, CordonVault ${vaultAddress}`);
  say(`withdrawal limit: ${usdc(LIMIT_CAPACITY)} USDC a day, policy TRIP (pause withdrawals and queue the excess)`);
  say(`governance: Safe ${safeAddress}, 2 of 3 owners (${owners.map((o) => o.address).join(", ")})`);
  say(`the deployer renounced governance (holds it now: ${adminHolds})`);
  say(
    `guardians: the keeper ${p.keeper.address}, the security council ${council.address}; resume needs 2 attestations`,
  );
  const fastDrain = SCENARIOS.find((s) => s.name === "fast-drain")!;
  await fastDrain.prepare!(p);
  const assetsBefore = (await p.token.getFunction("balanceOf")(vaultAddress)) as bigint;
  say(`the vault holds ${usdc(assetsBefore)} USDC; its deliberate flaw is switched on (redeems forget to burn shares)`);

  // ── the watcher ──
  step("Starting the keeper: detectors large-transfer, outflow-volume and invariant, action pause");
  const start = (await c.provider.getBlockNumber()) + 1;
  const configFile = path.join(OUT, "keeper.yml");
  const text = keeperConfig(c, hubAddress, tokenAddress, vaultAddress, path.join(OUT, "data"), start);
  writeFileSync(configFile, text);
  const config = parseConfig(text, configFile);
  const secrets = await resolveSecrets(config, { CORDON_GUARDIAN_KEY: TEST_KEYS.keeper });
  keeperLog = new KeeperLog(path.join(OUT, "keeper.log"));
  const klog = keeperLog;
  await rpc("evm_setAutomine", [false]);
  await rpc("evm_setIntervalMining", [1000]);
  keeper = await Keeper.start({ config, secrets, logger: createLogger("info", klog), ops: false });
  const k = keeper;
  const cursor = async () => (await k.metrics.cursorBlock.get()).values[0]?.value ?? 0;
  const statuses = async () => {
    const values = (await k.metrics.endpointStatus.get()).values.filter((v) => v.value === 1);
    return values.map((v) => `${v.labels.endpoint} ${v.labels.status}`).join(", ");
  };
  const deadline = Date.now() + 30_000;
  while ((await cursor()) < start && Date.now() < deadline) await sleep(100);
  if ((await cursor()) < start) throw new Error(`the keeper did not process block ${start} within 30 s`);
  say(`one block a second now; the keeper follows block ${await cursor()} through ${await statuses()}`);
  say(
    `config ${path.relative(process.cwd(), configFile)}, log ${path.relative(process.cwd(), path.join(OUT, "keeper.log"))}`,
  );

  step("The primary endpoint goes down");
  c.proxies[0]!.fault = { kind: "down" };
  const downAt = await c.provider.getBlockNumber();
  const seen = Date.now() + 10_000;
  while (!(await statuses()).includes("primary down") && Date.now() < seen) await sleep(100);
  say(`from block ${downAt} every request to primary fails; the keeper sees: ${await statuses()}`);

  // ── the exploit ──
  step("The exploit: the attacker's contract redeems the same 1,000 shares 30 times in one transaction");
  const fromLine = klog.lines.length;
  const attackTx = await fastDrain.steps[0]!(p);
  const attack = (await attackTx.wait())!;
  const exploitBlock = attack.blockNumber;
  const logs = attack.logs.map((l) => {
    try {
      return vaultEvents.parseLog(l);
    } catch {
      return null;
    }
  });
  const vaultTopic = `0x${vaultAddress.slice(2).toLowerCase().padStart(64, "0")}`;
  const paid = attack.logs.filter((l) => l.topics[0] === TRANSFER_TOPIC && l.topics[1] === vaultTopic);
  const paidAmount = paid.reduce((sum, l) => sum + (erc20Interface.parseLog(l)!.args.value as bigint), 0n);
  const tripped = logs.some((l) => l?.name === "LimitTripped");
  const queued = logs.filter((l) => l?.name === "WithdrawalQueued");
  say(`block ${exploitBlock}, tx ${attack.hash}`);
  say(`${paid.length} redeems paid out ${usdc(paidAmount)} USDC`);
  if (tripped) {
    say(
      `the breaker tripped by itself in this transaction: the next redeem breached the ${usdc(LIMIT_CAPACITY)} USDC limit,`,
    );
    say(
      `withdrawals paused through the hub, ${queued.length} withdrawal of ${usdc((queued[0]?.args.assets as bigint) ?? 0n)} queued instead of paid, the next one refused`,
    );
  }
  check(tripped, "the withdrawal limit tripped the breaker in the exploit's transaction");
  const invariant = (await p.vault.getFunction("checkInvariants")({ blockTag: exploitBlock })) as bigint;
  say(`the vault's invariant check now returns ${invariant} (1: assets missing from the books)`);

  // ── detection and pause ──
  step("Detection: the keeper's findings");
  // The keeper opens its incident when it decides to act, right before sending: that is the detection.
  const opened = await klog.waitFor((l) => l.event === "incident-opened", 20_000, fromLine);
  if (opened === undefined) throw new Error("the keeper detected nothing within 20 s");
  const detectedAt = Date.parse(opened.time!);
  await klog.waitFor((l) => l.event === "finding", 20_000, fromLine);
  const names = { [`of ${tokenAddress}`]: "USDC", [tokenAddress]: "USDC", [vaultAddress]: "the vault" };
  const byDetector = new Map<string, LogLine>();
  for (const f of klog.lines.slice(fromLine).filter((l) => l.event === "finding")) {
    if (!byDetector.has(String(f.detector))) byDetector.set(String(f.detector), f);
  }
  for (const [detector, f] of byDetector) {
    say(`${detector} (${f.severity}) at block ${f.block}: ${humanize(String(f.msg), names)}`);
  }
  say(`the keeper opened incident ${opened.incident} on ${opened.detector} and acts on it`);

  step("The pause: the keeper pauses the whole protocol");
  const action = await klog.waitFor((l) => l.event === "action" && l.status === "mined", 20_000, fromLine);
  if (action === undefined) throw new Error("the keeper's pause was not mined within 20 s");
  const sent = klog.lines.slice(fromLine).find((l) => l.event === "responder-sent" && l.tx === action.tx);
  const pauseBlock = Number(action.block);
  const pauseTx = String(action.tx);
  say(`keeper action ${String(action.msg)}`);
  say(
    `tx ${pauseTx}` +
      (sent === undefined
        ? ""
        : `: sent ${Date.parse(sent.time!) - detectedAt} ms after detection, to ${(sent.accepted as string[]).join(" and ")}`),
  );
  say(`mined in block ${pauseBlock}, ${pauseBlock - exploitBlock} block(s) after the exploit`);
  const statePaused = hubStateName((await p.hub.getFunction("state")()) as bigint);
  check(statePaused === "Paused", "the hub is Paused after the keeper's pause");
  // The pause takes no checkpoint (it would double the pause's cost per protected contract): the guardian takes it next.
  const checkpointTx = await p.hub.connect(p.keeper.connect(c.provider)).getFunction("checkpoint")(
    REASONS.SECURITY_DRAIN,
  );
  await checkpointTx.wait();
  say(`the guardian checkpoints the paused state: tx ${checkpointTx.hash}`);
  say(`the hub is now ${statePaused}, with primary still down`);
  const retry = p.asAttacker(p.vault).getFunction("redeem");
  let refusal = "accepted";
  try {
    await retry.staticCall(1_000n * E18, p.attacker.address, p.attacker.address);
  } catch (error) {
    refusal = p.vault.interface.parseError((error as { data?: string }).data ?? "0x")?.name ?? "reverted";
  }
  say(`the attacker tries to redeem again: ${refusal}`);

  // ── the funds ──
  step("The funds that stayed");
  const out = await c.provider.getLogs({
    address: tokenAddress,
    topics: [TRANSFER_TOPIC, vaultTopic],
    fromBlock: start,
    toBlock: "latest",
  });
  const drained = out.reduce((sum, l) => sum + (erc20Interface.parseLog(l)!.args.value as bigint), 0n);
  const stayed = (await p.token.getFunction("balanceOf")(vaultAddress)) as bigint;
  const queuedAmount = (await p.vault.getFunction("queuedOutstanding")(tokenAddress)) as bigint;
  say(`before the attack the vault held ${usdc(assetsBefore)} USDC; the attacker's contract put 1,000 in first`);
  say(`drained: ${usdc(drained)} USDC, the limit's daily capacity; queued, not paid: ${usdc(queuedAmount)} USDC`);
  say(`stayed: ${usdc(stayed)} USDC in the vault`);
  check(drained <= LIMIT_CAPACITY, "no more than the limit's capacity left the vault");

  // ── verification ──
  step("Verification: the state now against the pause's checkpoint, proven with eth_getProof");
  const endpoints = c.proxies.map((proxy) => ({ name: proxy.name, url: proxy.url, timeoutMs: 1000 }));
  const pauseCheckpoint = (await p.hub.getFunction("latestCheckpointId")()) as bigint;
  const verified = await verifyState({ endpoints, hub: hubAddress, checkpoint: pauseCheckpoint });
  showVerification(verified, path.join(OUT, `verify-checkpoint-${pauseCheckpoint}.txt`));
  check(verified.matches && verified.liars.size === 0, `the state matches checkpoint ${pauseCheckpoint}`);

  // ── recovery and resume through the Safe ──
  step("Recovery through the Safe (2 of 3 owners sign each call; each is simulated first)");
  const executor = new SafeExecutor(safeAddress, owners.slice(0, 2));
  const hubCall = (method: string, args: unknown[], label: string): GovernanceCall => ({
    to: hubAddress,
    data: p.hub.interface.encodeFunctionData(method, args),
    label,
  });
  const txs: Record<string, string> = {};
  const viaSafe = async (name: string, call: GovernanceCall) => {
    const { txHash } = await execute(executor, c.provider, call, { hub: hubAddress });
    txs[name] = txHash!;
    say(`${call.label}: tx ${txHash}`);
  };
  say(`signers: ${await executor.describeSigners()}`);
  await viaSafe(
    "enterRecovery",
    hubCall("enterRecovery", [pauseCheckpoint, REASONS.SECURITY_DRAIN], `enterRecovery(checkpoint ${pauseCheckpoint})`),
  );
  const count = Number(await p.vault.getFunction("queuedCount")());
  const pending: bigint[] = [];
  for (let i = 1n; i <= BigInt(count); i++) {
    const q = (await p.vault.getFunction("queuedOutflow")(i)) as { status: bigint };
    if (Number(q.status) === 1) pending.push(i);
  }
  if (pending.length > 0) {
    await viaSafe(
      "cancelQueued",
      hubCall("cancelQueued", [vaultAddress, pending], `cancelQueued(vault, [${pending.join(", ")}])`),
    );
  }
  const [books, held, owed] = await Promise.all([
    p.vault.getFunction("totalAssets")() as Promise<bigint>,
    p.token.getFunction("balanceOf")(vaultAddress) as Promise<bigint>,
    p.vault.getFunction("queuedOutstanding")(tokenAddress) as Promise<bigint>,
  ]);
  const shortfall = books + owed - held;
  await send(p.token, "mint", safeAddress, shortfall); // the treasury's funds, held by the Safe
  await viaSafe("restore", {
    to: tokenAddress,
    data: p.token.interface.encodeFunctionData("transfer", [vaultAddress, shortfall]),
    label: `transfer ${usdc(shortfall)} USDC from the treasury to the vault (its books say ${usdc(books)}, it held ${usdc(held)})`,
  });
  await send(p.vault, "setFlawed", false);
  say("the team's fix is live: the vault's flaw is switched off");
  await viaSafe("checkpoint", hubCall("checkpoint", [REASONS.SECURITY_DRAIN], "checkpoint(SECURITY_DRAIN)"));
  const recoveryCheckpoint = (await p.hub.getFunction("latestCheckpointId")()) as bigint;
  const reverified = await verifyState({ endpoints, hub: hubAddress, checkpoint: recoveryCheckpoint });
  showVerification(reverified, path.join(OUT, `verify-checkpoint-${recoveryCheckpoint}.txt`));
  check(reverified.matches && reverified.liars.size === 0, `the state matches checkpoint ${recoveryCheckpoint}`);
  const [, invariantNow] = (await p.hub.getFunction("currentDigest")()) as [string, bigint];
  say(`the vault's invariant check returns ${invariantNow}: its balance covers its books again`);

  step("Resume through the Safe, with the attestations of two guardians");
  const signatures: string[] = [];
  for (const guardian of [new Wallet(TEST_KEYS.keeper, c.provider), council]) {
    const signed = await signAttestation(c.provider, hubAddress, recoveryCheckpoint, guardian);
    signatures.push(signed.signature);
    say(`${signed.signer} attests checkpoint ${recoveryCheckpoint} (digest ${signed.digest.slice(0, 18)}...)`);
  }
  const attestations = await loadAttestations(c.provider, hubAddress, recoveryCheckpoint, signatures.join(","));
  await viaSafe(
    "resume",
    hubCall(
      "resume",
      [recoveryCheckpoint, attestations.map((a) => [a.signer, a.signature]), REASONS.SECURITY_DRAIN],
      `resume(checkpoint ${recoveryCheckpoint}, ${attestations.length} attestations)`,
    ),
  );
  const stateAfter = hubStateName((await p.hub.getFunction("state")()) as bigint);
  check(stateAfter === "Active", "the hub is Active after resume");
  say(`the hub is ${stateAfter} again`);
  const closed = await klog.waitFor((l) => l.event === "incident-closed", 10_000, fromLine);
  if (closed !== undefined) say(`the keeper closed its incident ${closed.incident}: ${closed.msg}`);
  await keeper.stop();
  keeper = undefined;

  // ── the report ──
  step("The downtime report, from the hub's events and the keeper's store");
  const store = new Store(path.join(OUT, "data", "local.db"), 31337);
  const pool = new RpcPool({ endpoints: endpoints.slice(1), quorum: 1 });
  let pngFile: string | undefined;
  let report;
  let files;
  try {
    report = await buildReport({
      pool,
      hub: hubAddress,
      historyFromBlock: deployedAt,
      fromBlock: start, // from when the keeper started watching
      store,
      scopeNames: { 0: "deposit", 1: "withdraw" },
    });
    files = writeReport(report, OUT);
  } finally {
    store.close();
    pool.close();
  }
  for (const line of renderTable(report).trimEnd().split("\n")) say(line);
  if (findChromium() !== undefined) {
    pngFile = path.join(OUT, "report.png");
    svgToPng(files.svg, pngFile);
  }
  const rel = (f: string) => path.relative(process.cwd(), f);
  say(`wrote ${[files.json, files.markdown, files.svg, ...(pngFile ? [pngFile] : [])].map(rel).join(", ")}`);
  if (pngFile === undefined) say("(no Chromium found: no PNG of the timeline; the SVG opens in any browser)");

  // ── summary ──
  const incident = report.figures.incidents[0];
  const resumedEvent = (await p.hub.queryFilter(p.hub.filters.Resumed!())) as EventLog[];
  console.log(`\n[${elapsed()} s] Summary`);
  const rows: [string, string][] = [
    ["exploit", `block ${exploitBlock}, tx ${attack.hash}`],
    ["breaker", tripped ? `tripped by itself in the exploit's transaction (withdrawals paused)` : "did not trip"],
    ["detection", `${[...byDetector.keys()].join(", ")} at block ${opened.block}`],
    ["pause", `block ${pauseBlock} by the keeper, tx ${pauseTx}`],
    ["blocks to pause", `${pauseBlock - exploitBlock} (with the primary endpoint down)`],
    [
      "funds",
      `${usdc(drained)} USDC drained, ${usdc(stayed)} of ${usdc(assetsBefore)} stayed; ${usdc(queuedAmount)} queued, then cancelled`,
    ],
    [
      "verification",
      `checkpoint ${pauseCheckpoint} ${verified.matches ? "matches" : "DIFFERS"}, ${verified.liars.size === 0 ? "no endpoint lied" : `liars: ${[...verified.liars.keys()].join(", ")}`}; after recovery checkpoint ${recoveryCheckpoint} ${reverified.matches ? "matches" : "DIFFERS"}`,
    ],
    ["recovery (Safe)", `${txs.enterRecovery}`],
    ["resume (Safe)", `${txs.resume} (${resumedEvent.at(-1)?.args.attestations ?? "?"} attestations counted)`],
    [
      "downtime",
      `${duration(report.figures.protocol.downtimeSeconds)} in all; protocol stopped ${duration(report.figures.protocol.fullOutageSeconds)}` +
        (incident
          ? `; time to detect ${duration(incident.timeToDetect)}, to pause ${duration(incident.timeToPause)}`
          : ""),
    ],
    ["report", [files.markdown, files.svg, ...(pngFile ? [pngFile] : [])].map(rel).join(", ")],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) console.log(`  ${key.padEnd(width)}  ${value}`);
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

try {
  await main();
} finally {
  await cleanup();
}
