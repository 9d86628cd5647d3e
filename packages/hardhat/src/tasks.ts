/**
 * Every Cordon task, declared in one place under the `cordon` namespace. Each action is a thin adapter in
 * `actions/` over the library in `@cordon/keeper`. `npx hardhat cordon --help` lists them; `--help` on a task shows
 * its options and an example.
 */
import { emptyTask, task } from "hardhat/config";

import { CordonHubConstants } from "@cordon/keeper/contracts/generated/cordon.js";

const SCOPES = `0..${CordonHubConstants.SCOPE_COUNT - 1}`;

/**
 * Options every state-changing task shares: the reason, how to send and from whom, simulate only, export, and the
 * timelock's second run.
 */
const REASON = {
  name: "reason",
  description: "Reason name (SECURITY_DRAIN, MAINTENANCE_PLANNED, ...) or code (0x0101)",
  defaultValue: "SECURITY_DRAIN",
} as const;
const VIA = {
  name: "via",
  description: "How to send: direct (a signer), safe (the deployment's Safe), timelock (schedule, then --execute)",
  defaultValue: "direct",
} as const;
const FROM = {
  name: "from",
  description: "The account to send from; empty: the network's first account",
  defaultValue: "",
} as const;
const DRY_RUN = { name: "dryRun", description: "Simulate and show who must sign, then stop: nothing is sent" } as const;
const EXPORT = {
  name: "export",
  description: "With --via safe: write a Safe Transaction Builder batch to this file instead",
  defaultValue: "",
} as const;
const EXECUTE = {
  name: "execute",
  description: "With --via timelock: execute the call an earlier run scheduled, once its delay has passed",
} as const;
const SALT = {
  name: "salt",
  description: "With --via timelock: the operation's salt (any text), to schedule a call that already ran again",
  defaultValue: "",
} as const;

const CONTRACT = {
  name: "contract",
  description: "The protected contract; empty: the deployment's only one",
  defaultValue: "",
} as const;

/** A task that sends a hub call: with the options every sending task shares (how, from whom, dry run, timelock). */
function sendingTask(id: string[], description: string) {
  return task(id, description)
    .addOption(VIA)
    .addOption(FROM)
    .addFlag(DRY_RUN)
    .addOption(EXPORT)
    .addFlag(EXECUTE)
    .addOption(SALT);
}

export const cordonTasks = [
  emptyTask("cordon", "Cordon: guard, watch, operate and report on a protocol (see each task's --help)").build(),

  // Hardhat owns the global `--config` (its own config file), so the keeper config is this task's argument; the
  // plain Node entry point (`cordon-keeper`) takes `--config <file>`.
  task(
    ["cordon", "watch"],
    "Run the watcher (keeper): follow, detect, pause, alert. Example: npx hardhat cordon watch keeper.yml --check",
  )
    .addPositionalArgument({
      name: "file",
      description: "Keeper config file (YAML or JSON), e.g. keeper.yml",
      defaultValue: "",
    })
    .addFlag({
      name: "check",
      description:
        "Validate the config and its secrets, then check each key on the chain (quorum): its hub role, a balance for its action at the emergency fee ceiling; nothing is sent",
    })
    .addOption({
      name: "replay",
      description: "Evaluate this block number with every detector and print the findings; nothing is sent",
      defaultValue: "",
    })
    .setAction(() => import("./actions/watch.js"))
    .build(),

  task(
    ["cordon", "watch", "import"],
    "Write a keeper config from an OpenZeppelin Monitor config directory, naming what it could not translate. Example: npx hardhat cordon watch import ./oz-monitor/config --out keeper.yml --hub 0x…",
  )
    .addPositionalArgument({
      name: "dir",
      description: "The OpenZeppelin Monitor config directory (holding networks/, monitors/, triggers/)",
      defaultValue: "",
    })
    .addOption({
      name: "out",
      description: "The keeper config to write; ABIs go to abis/ beside it",
      defaultValue: "keeper.yml",
    })
    .addOption({
      name: "hub",
      description: "The CordonHub of the imported protocols (without it they have none: alerts, and call actions)",
      defaultValue: "",
    })
    .addFlag({ name: "force", description: "Overwrite the file if it exists" })
    .setAction(() => import("./actions/watch-import.js"))
    .build(),

  task(
    ["cordon", "status"],
    "Show the hub: state, paused scopes and when they end, limits, queue, guardians, checkpoints. Example: npx hardhat --network localhost cordon status --json",
  )
    .addFlag({ name: "json", description: "Print JSON for scripts instead of the table" })
    .setAction(() => import("./actions/status.js"))
    .build(),

  sendingTask(
    ["cordon", "pause"],
    "Pause the protocol, or some scopes (guardian or governance); simulated first. Example: npx hardhat --network localhost cordon pause --scopes 1,2 --reason SECURITY_DRAIN --dry-run",
  )
    .addOption({
      name: "scopes",
      description: `Comma-separated scopes to pause (${SCOPES}); none: the whole protocol`,
      defaultValue: "",
    })
    .addOption(REASON)
    .setAction(() => import("./actions/pause.js"))
    .build(),

  sendingTask(
    ["cordon", "checkpoint"],
    "Record a checkpoint of the protocol's state digest (guardian or governance). Example: npx hardhat --network localhost cordon checkpoint --reason SECURITY_DRAIN",
  )
    .addOption(REASON)
    .setAction(() => import("./actions/checkpoint.js"))
    .build(),

  sendingTask(
    ["cordon", "recover"],
    "Governance confirms the pause and enters Recovery (exit path open), cancelling in the same transaction the outflows the trip queued held for approval (a Safe batches through governance.multiSend, a timelock schedules one batch). Example: npx hardhat --network localhost cordon recover --reason SECURITY_DRAIN --via timelock (then the same with --execute after the delay); keep them held: npx hardhat --network localhost cordon recover --via safe --keep-tripped",
  )
    .addOption(REASON)
    .addOption({
      name: "checkpoint",
      description: "The checkpoint the recovery restores to (default: a new one)",
      defaultValue: "",
    })
    .addFlag({
      name: "keepTripped",
      description:
        "Keep the outflows the trip queued held for approval (cordon queue approve or cancel them later) instead of cancelling them with the recovery",
    })
    .setAction(() => import("./actions/recover.js"))
    .build(),

  sendingTask(
    ["cordon", "resume"],
    "Governance returns from Recovery to Active from the latest checkpoint, with guardians' attestations. Example: npx hardhat --network localhost cordon resume --reason SECURITY_DRAIN --via safe --attestations a.json,b.json --dry-run",
  )
    .addOption(REASON)
    .addOption({
      name: "checkpoint",
      description: "The checkpoint to resume from (default: the latest)",
      defaultValue: "",
    })
    .addOption({
      name: "attestations",
      description:
        "Guardians' attestations of the checkpoint: files from cordon attest, or 0x signatures (comma-separated)",
      defaultValue: "",
    })
    .setAction(() => import("./actions/resume.js"))
    .build(),

  task(
    ["cordon", "report"],
    "Downtime record: uptime, windows, time to detect/pause/recover, revenue lost; table, JSON, Markdown, SVG. Example: npx hardhat cordon report --network localhost --hub 0x5FbDB2315678afecb367f032d93F642f64180aa3 --out report/",
  )
    .addOption({ name: "hub", description: "The CordonHub address", defaultValue: "" })
    .addOption({ name: "out", description: "Directory for report.json, report.md, report.svg", defaultValue: "report" })
    .addOption({
      name: "fromBlock",
      description: "First block of the period (default: the hub's deployment)",
      defaultValue: "",
    })
    .addOption({ name: "toBlock", description: "Last block (default: the head)", defaultValue: "" })
    .addOption({
      name: "from",
      description: "Period start: unix seconds or ISO date (instead of --from-block)",
      defaultValue: "",
    })
    .addOption({
      name: "to",
      description: "Period end: unix seconds or ISO date (instead of --to-block)",
      defaultValue: "",
    })
    .addOption({
      name: "historyFromBlock",
      description: "Where to start reading the hub's events (its deployment block; default 0)",
      defaultValue: "",
    })
    .addOption({
      name: "feesPerHour",
      description: "Fees earned per hour, for the revenue-lost estimate",
      defaultValue: "",
    })
    .addOption({ name: "feeRateBps", description: "Fee rate in bps (needs --volume-per-hour)", defaultValue: "" })
    .addOption({ name: "volumePerHour", description: "Volume per hour the fee rate applies to", defaultValue: "" })
    .addOption({
      name: "store",
      description: "The watcher's store file: dates anomalies and detections",
      defaultValue: "",
    })
    .addOption({ name: "scopes", description: 'Scope names, e.g. "0=deposit,1=withdraw"', defaultValue: "" })
    .addOption({ name: "rpc", description: "Comma-separated RPC URLs (default: the network's URL)", defaultValue: "" })
    .setAction(() => import("./actions/report.js"))
    .build(),

  task(
    ["cordon", "verify-state"],
    "Prove the checkpoint and the state now against a block header a quorum agrees on (or --block-hash): eth_getProof for the hub, verified execution of every protected contract's digest and invariants; name any endpoint that lies. Example: npx hardhat --network mainnet cordon verify-state --rpc https://rpc-a.example,https://rpc-b.example",
  )
    .addOption({
      name: "rpc",
      description: "More RPC URLs, comma-separated, checked with the network's own (three or more name a liar)",
      defaultValue: "",
    })
    .addOption({
      name: "checkpoint",
      description: "The checkpoint to compare the state with (default: the latest)",
      defaultValue: "",
    })
    .addOption({
      name: "blockHash",
      description: "Verify at this block, trusted by its hash (default: the newest block a quorum agrees on)",
      defaultValue: "",
    })
    .addFlag({ name: "json", description: "Print the result as JSON: block, trust, each contract, each endpoint" })
    .setAction(() => import("./actions/verify-state.js"))
    .build(),

  // Hardhat owns the global `--config` (its own config file), so the protocol's configuration is `--params`.
  task(
    ["cordon", "deploy"],
    "Deploy the hub and the protocol's configuration (governance, guardians, pause bound, protected contracts, limits) through Ignition; writes deployments/<network>/cordon.json. Re-running sends nothing. Example: npx hardhat --network sepolia cordon deploy --params cordon.params.json",
  )
    .addOption({
      name: "params",
      description: "The protocol's configuration (JSON), e.g. cordon.params.json",
      defaultValue: "",
    })
    .addOption({
      name: "deploymentId",
      description: "Ignition deployment id, its journal in ignition/deployments/<id> (default: cordon-<network>)",
      defaultValue: "",
    })
    .setAction(() => import("./actions/deploy.js"))
    .build(),

  task(
    ["cordon", "attest"],
    "A guardian signs the EIP-712 attestation of a checkpoint that resume needs; nothing is sent. Example: npx hardhat --network localhost cordon attest --checkpoint 3 --from 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --out a.json",
  )
    .addOption({ name: "checkpoint", description: "The checkpoint to attest (default: the latest)", defaultValue: "" })
    .addOption({
      name: "from",
      description: "The guardian's account; empty: the first of the network's accounts that is a guardian",
      defaultValue: "",
    })
    .addOption({ name: "out", description: "Write the signed attestation (JSON) to this file", defaultValue: "" })
    .setAction(() => import("./actions/attest.js"))
    .build(),

  // Governance operations: unpause, shutdown, limits, the queue and guardians.
  sendingTask(
    ["cordon", "unpause"],
    "Governance lifts the pause, or some scopes' (refused while an invariant fails). Example: npx hardhat --network localhost cordon unpause --scopes 1 --reason MAINTENANCE_PLANNED --via safe",
  )
    .addOption({
      name: "scopes",
      description: `Comma-separated scopes to unpause (${SCOPES}); none: the whole protocol and every scope`,
      defaultValue: "",
    })
    .addOption(REASON)
    .setAction(() => import("./actions/unpause.js"))
    .build(),

  sendingTask(
    ["cordon", "shutdown"],
    "TERMINAL: governance shuts the protocol down for good; only the exit path stays open. Needs --yes. Example: npx hardhat --network localhost cordon shutdown --reason SECURITY_DRAIN --via safe --yes",
  )
    .addOption(REASON)
    .addFlag({ name: "yes", description: "Confirm: the hub can never leave Shutdown (not needed with --dry-run)" })
    .setAction(() => import("./actions/shutdown.js"))
    .build(),

  sendingTask(
    ["cordon", "set-limit"],
    "Governance sets an asset's outflow limit in a protected contract (amounts in token units). Example: npx hardhat --network localhost cordon set-limit --contract 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512 --token 0x5FbDB2315678afecb367f032d93F642f64180aa3 --scope 1 --capacity 1000000 --window 86400 --policy queue --queue-delay 3600",
  )
    .addOption(CONTRACT)
    .addOption({ name: "token", description: "The asset (an ERC-20) whose outflows are limited", defaultValue: "" })
    .addOption({
      name: "scope",
      description: `The scope whose pause closes its outflows (${SCOPES})`,
      defaultValue: "",
    })
    .addOption({
      name: "capacity",
      description: "Largest amount that may leave at once, in whole tokens (e.g. 1000000 or 2.5)",
      defaultValue: "",
    })
    .addOption({ name: "window", description: "Seconds for the emptied limit to refill", defaultValue: "" })
    .addOption({
      name: "largeThreshold",
      description: "Outflows above this amount (in tokens) are always queued; empty: off",
      defaultValue: "",
    })
    .addOption({ name: "policy", description: "Beyond the limit: revert, queue or trip", defaultValue: "revert" })
    .addOption({
      name: "queueDelay",
      description: "Seconds a queued outflow waits before its claim",
      defaultValue: "0",
    })
    .addFlag({ name: "inflowRefills", description: "Inflows of the asset give outflow capacity back" })
    .setAction(() => import("./actions/set-limit.js"))
    .build(),

  emptyTask(
    ["cordon", "queue"],
    "Queued outflows: list, claim (anyone, paid to the recipient), cancel and approve (governance). Example: npx hardhat --network localhost cordon queue list",
  ).build(),

  task(
    ["cordon", "queue", "list"],
    "List a protected contract's queued outflows: status, amount, recipient, release time. Example: npx hardhat --network localhost cordon queue list --contract 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  )
    .addOption(CONTRACT)
    .addFlag({ name: "json", description: "Print JSON for scripts instead of lines" })
    .setAction(() => import("./actions/queue-list.js"))
    .build(),

  sendingTask(
    ["cordon", "queue", "claim"],
    "Claim a released queued outflow; the funds go to its recipient only (one held for approval needs cordon queue approve first). Example: npx hardhat --network localhost cordon queue claim --id 3",
  )
    .addOption({ name: "id", description: "The queued outflow's id (see cordon queue list)", defaultValue: "" })
    .addOption(CONTRACT)
    .setAction(() => import("./actions/queue-claim.js"))
    .build(),

  sendingTask(
    ["cordon", "queue", "cancel"],
    "Governance cancels queued outflows (the contract decides what happens to the funds). Example: npx hardhat --network localhost cordon queue cancel --id 3,4 --via safe",
  )
    .addOption({ name: "id", description: "Comma-separated queued outflow ids", defaultValue: "" })
    .addOption(CONTRACT)
    .setAction(() => import("./actions/queue-cancel.js"))
    .build(),

  sendingTask(
    ["cordon", "queue", "approve"],
    "Governance approves queued outflows held because they tripped the breaker, so they can be claimed (refused for any other id). Example: npx hardhat --network localhost cordon queue approve --id 3,4 --via safe",
  )
    .addOption({
      name: "id",
      description: "Comma-separated ids of queued outflows held for approval (see cordon queue list)",
      defaultValue: "",
    })
    .addOption(CONTRACT)
    .setAction(() => import("./actions/queue-approve.js"))
    .build(),

  emptyTask(
    ["cordon", "guardians"],
    "The hub's guardians (GUARDIAN_ROLE): list, add, remove (governance). Example: npx hardhat --network localhost cordon guardians list",
  ).build(),

  task(
    ["cordon", "guardians", "list"],
    "List the guardians and the attestations a resume needs. Example: npx hardhat --network localhost cordon guardians list",
  )
    .setAction(() => import("./actions/guardians-list.js"))
    .build(),

  sendingTask(
    ["cordon", "guardians", "add"],
    "Governance grants GUARDIAN_ROLE to an account. Example: npx hardhat --network localhost cordon guardians add --account 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --via safe",
  )
    .addOption({ name: "account", description: "The account to make a guardian", defaultValue: "" })
    .setAction(() => import("./actions/guardians-add.js"))
    .build(),

  sendingTask(
    ["cordon", "guardians", "remove"],
    "Governance revokes GUARDIAN_ROLE (refused below the attestation threshold). Example: npx hardhat --network localhost cordon guardians remove --account 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --via safe",
  )
    .addOption({ name: "account", description: "The guardian to remove", defaultValue: "" })
    .setAction(() => import("./actions/guardians-remove.js"))
    .build(),
];
