/**
 * The watcher's embedded store (`node:sqlite`, no server, no native addon): the follow cursor, the recent blocks it
 * needs to detect reorgs, findings (retracted when their block is reorged out), and an outbox of intended actions
 * written before anything is sent, so a crash between deciding and sending neither loses nor repeats an action.
 */
import { DatabaseSync } from "node:sqlite";

import type { Finding, Severity } from "../domain/types.js";

export interface StoredBlock {
  number: number;
  hash: string;
  parentHash: string;
}

export type { Finding, Severity } from "../domain/types.js";

/**
 * An incident as the keeper saw it: opened by the first finding a protocol's responder acts on, joined by later
 * findings until the hub is fully open again. Detection and action times are the keeper's wall clock (ms).
 */
export interface Incident {
  id: number;
  protocol: string;
  hub: string;
  openedAt: number;
  firstBlock: number;
  detector: string;
  severity: Severity;
  summary: string;
  findings: number;
  actionKey: string | undefined;
  actionStatus: string | undefined;
  txHash: string | undefined;
  actionBlock: number | undefined;
  actedAt: number | undefined;
  closedAt: number | undefined;
}

export type OutboxStatus = "pending" | "sent" | "mined" | "skipped" | "failed";

export interface OutboxEntry {
  id: number;
  /** Idempotency key: one action per key, ever (e.g. `pause:<hub>:<scope>:<incident block>`). */
  key: string;
  action: Record<string, unknown>;
  status: OutboxStatus;
  txHash: string | undefined;
  nonce: number | undefined;
  attempts: number;
  note: string | undefined;
  createdAt: number;
  updatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursor (chain_id INTEGER PRIMARY KEY, number INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
  chain_id INTEGER NOT NULL, number INTEGER NOT NULL, hash TEXT NOT NULL, parent_hash TEXT NOT NULL,
  PRIMARY KEY (chain_id, number)
);
CREATE TABLE IF NOT EXISTS findings (
  id INTEGER PRIMARY KEY AUTOINCREMENT, chain_id INTEGER NOT NULL, block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL, detector TEXT NOT NULL, severity TEXT NOT NULL, summary TEXT NOT NULL,
  data TEXT NOT NULL, retracted INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_block ON findings (chain_id, block_number);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, action TEXT NOT NULL, status TEXT NOT NULL,
  tx_hash TEXT, nonce INTEGER, attempts INTEGER NOT NULL DEFAULT 0, note TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT, chain_id INTEGER NOT NULL, protocol TEXT NOT NULL, hub TEXT NOT NULL,
  opened_at INTEGER NOT NULL, first_block INTEGER NOT NULL, detector TEXT NOT NULL, severity TEXT NOT NULL,
  summary TEXT NOT NULL, findings INTEGER NOT NULL DEFAULT 1, action_key TEXT, action_status TEXT, tx_hash TEXT,
  action_block INTEGER, acted_at INTEGER, closed_at INTEGER
);
CREATE INDEX IF NOT EXISTS incidents_open ON incidents (chain_id, protocol, closed_at);
`;

export class Store {
  private readonly db: DatabaseSync;

  /** Opens (or creates) the store at `path`; `:memory:` for a throwaway one. */
  constructor(
    path: string,
    readonly chainId: number,
  ) {
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.db.exec(SCHEMA);
    const columns = (this.db.prepare("PRAGMA table_info(findings)").all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes("response")) {
      this.db.exec("ALTER TABLE findings ADD COLUMN response TEXT; ALTER TABLE findings ADD COLUMN handled INTEGER");
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction: all of it is stored, or none. */
  transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  // ── cursor and recent blocks ──

  cursor(): StoredBlock | undefined {
    const row = this.db.prepare("SELECT number, hash FROM cursor WHERE chain_id = ?").get(this.chainId) as
      { number: number; hash: string } | undefined;
    if (row === undefined) return undefined;
    const block = this.block(row.number);
    return { number: row.number, hash: row.hash, parentHash: block?.parentHash ?? "" };
  }

  /**
   * Marks `blocks` (ascending, contiguous after the cursor) processed and moves the cursor to the last, in one
   * transaction with `alsoWrite` (e.g. the findings of these blocks), so a crash never records one without the other.
   * Keeps only the newest `keep` blocks.
   */
  advance(blocks: StoredBlock[], alsoWrite: () => void = () => {}, keep = 256): void {
    const last = blocks.at(-1);
    if (last === undefined) return;
    this.transaction(() => {
      const insert = this.db.prepare(
        "INSERT OR REPLACE INTO blocks (chain_id, number, hash, parent_hash) VALUES (?, ?, ?, ?)",
      );
      for (const b of blocks) insert.run(this.chainId, b.number, b.hash, b.parentHash);
      this.db
        .prepare("INSERT OR REPLACE INTO cursor (chain_id, number, hash) VALUES (?, ?, ?)")
        .run(this.chainId, last.number, last.hash);
      this.db.prepare("DELETE FROM blocks WHERE chain_id = ? AND number <= ?").run(this.chainId, last.number - keep);
      alsoWrite();
    });
  }

  block(number: number): StoredBlock | undefined {
    const row = this.db
      .prepare("SELECT number, hash, parent_hash AS parentHash FROM blocks WHERE chain_id = ? AND number = ?")
      .get(this.chainId, number) as StoredBlock | undefined;
    return row === undefined ? undefined : { ...row };
  }

  /** Stored blocks at or below `number`, newest first: the walk-back path for reorg detection. */
  blocksDownFrom(number: number): StoredBlock[] {
    return (
      this.db
        .prepare(
          "SELECT number, hash, parent_hash AS parentHash FROM blocks WHERE chain_id = ? AND number <= ? ORDER BY number DESC",
        )
        .all(this.chainId, number) as unknown as StoredBlock[]
    ).map((r) => ({ ...r }));
  }

  /**
   * Rewinds after a reorg: blocks above `ancestor` are forgotten, their findings retracted, and the cursor moved to
   * `ancestor`. Returns the retracted findings.
   */
  rewind(ancestor: StoredBlock): Finding[] {
    return this.transaction(() => {
      const retracted = this.findingsFrom(ancestor.number + 1);
      this.db
        .prepare("UPDATE findings SET retracted = 1 WHERE chain_id = ? AND block_number > ?")
        .run(this.chainId, ancestor.number);
      this.db.prepare("DELETE FROM blocks WHERE chain_id = ? AND number > ?").run(this.chainId, ancestor.number);
      this.db
        .prepare("INSERT OR REPLACE INTO cursor (chain_id, number, hash) VALUES (?, ?, ?)")
        .run(this.chainId, ancestor.number, ancestor.hash);
      return retracted.map((f) => ({ ...f, retracted: true }));
    });
  }

  // ── findings ──

  addFinding(finding: Finding): number {
    const json = (value: unknown) =>
      JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    const result = this.db
      .prepare(
        "INSERT INTO findings (chain_id, block_number, block_hash, detector, severity, summary, data, created_at, response, handled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        this.chainId,
        finding.blockNumber,
        finding.blockHash,
        finding.detector,
        finding.severity,
        finding.summary,
        json(finding.data),
        Date.now(),
        finding.response === undefined ? null : json(finding.response),
        finding.response === undefined ? 1 : 0,
      );
    return Number(result.lastInsertRowid);
  }

  /**
   * Live findings that ask for an action nobody has handled yet, oldest first: after a crash between storing a
   * finding and recording its action in the outbox, the restarted watcher acts on these.
   */
  unhandledFindings(): Finding[] {
    const rows = this.db
      .prepare(
        "SELECT id, block_number, block_hash, detector, severity, summary, data, response FROM findings WHERE chain_id = ? AND retracted = 0 AND handled = 0 AND response IS NOT NULL ORDER BY id",
      )
      .all(this.chainId) as unknown as FindingRow[];
    return rows.map((r) => ({ ...toFinding(r), response: JSON.parse(r.response!) as Record<string, unknown> }));
  }

  /** The finding's action was decided (taken, skipped, or not ours to take): it is not resumed after a restart. */
  markHandled(id: number): void {
    this.db.prepare("UPDATE findings SET handled = 1 WHERE id = ?").run(id);
  }

  /** Live (not retracted) findings from block `from` on. */
  findingsFrom(from: number, includeRetracted = false): Finding[] {
    const rows = this.db
      .prepare(
        `SELECT id, block_number, block_hash, detector, severity, summary, data, retracted FROM findings
         WHERE chain_id = ? AND block_number >= ? ${includeRetracted ? "" : "AND retracted = 0"} ORDER BY id`,
      )
      .all(this.chainId, from) as unknown as FindingRow[];
    return rows.map(toFinding);
  }

  /**
   * Live findings of blocks `from` to `to` (inclusive), in block order then insertion order, with the time each was
   * stored (ms since epoch). Read-only; the downtime report uses it to date detections.
   */
  findingsInBlocks(from: number, to: number): (Finding & { id: number; createdAt: number })[] {
    const rows = this.db
      .prepare(
        `SELECT id, block_number, block_hash, detector, severity, summary, data, created_at FROM findings
         WHERE chain_id = ? AND block_number >= ? AND block_number <= ? AND retracted = 0 ORDER BY block_number, id`,
      )
      .all(this.chainId, from, to) as unknown as FindingRow[];
    return rows.map((r) => ({ ...toFinding(r), id: r.id, createdAt: r.created_at! }));
  }

  // ── outbox ──

  /**
   * Records the intent to act under `key` before anything is sent. Returns the entry, and whether it is new: an
   * existing key (the same action decided before a crash, or by an earlier block) is returned as it is.
   */
  intend(key: string, action: Record<string, unknown>): { entry: OutboxEntry; created: boolean } {
    const now = Date.now();
    const inserted = this.db
      .prepare(
        "INSERT OR IGNORE INTO outbox (key, action, status, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?)",
      )
      .run(key, JSON.stringify(action), now, now);
    return { entry: this.outboxEntry(key)!, created: inserted.changes === 1 };
  }

  /** Updates an outbox entry's progress. */
  update(
    key: string,
    change: { status?: OutboxStatus; txHash?: string; nonce?: number; note?: string; attempt?: boolean },
  ): void {
    const entry = this.outboxEntry(key);
    if (entry === undefined) throw new Error(`no outbox entry ${key}`);
    this.db
      .prepare(
        "UPDATE outbox SET status = ?, tx_hash = ?, nonce = ?, note = ?, attempts = ?, updated_at = ? WHERE key = ?",
      )
      .run(
        change.status ?? entry.status,
        change.txHash ?? entry.txHash ?? null,
        change.nonce ?? entry.nonce ?? null,
        change.note ?? entry.note ?? null,
        entry.attempts + (change.attempt === true ? 1 : 0),
        Date.now(),
        key,
      );
  }

  outboxEntry(key: string): OutboxEntry | undefined {
    const row = this.db.prepare("SELECT * FROM outbox WHERE key = ?").get(key) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  /** The entry whose last sent transaction is `txHash` (case-insensitive), if any. Read-only. */
  outboxEntryByTx(txHash: string): OutboxEntry | undefined {
    const row = this.db.prepare("SELECT * FROM outbox WHERE lower(tx_hash) = lower(?)").get(txHash) as
      Record<string, unknown> | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  /** Entries not finished yet (pending or sent): what a restarted watcher must resume. */
  unfinished(): OutboxEntry[] {
    return (
      this.db.prepare("SELECT * FROM outbox WHERE status IN ('pending', 'sent') ORDER BY id").all() as Record<
        string,
        unknown
      >[]
    ).map(toEntry);
  }

  // ── incidents ──

  /** The protocol's open incident, joined by `finding`; or a new one opened by it. */
  openIncident(
    protocol: string,
    hub: string,
    finding: Finding,
    at = Date.now(),
  ): { incident: Incident; created: boolean } {
    const open = this.openIncidentOf(protocol);
    if (open !== undefined) {
      this.db.prepare("UPDATE incidents SET findings = findings + 1 WHERE id = ?").run(open.id);
      return { incident: { ...open, findings: open.findings + 1 }, created: false };
    }
    const result = this.db
      .prepare(
        "INSERT INTO incidents (chain_id, protocol, hub, opened_at, first_block, detector, severity, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(this.chainId, protocol, hub, at, finding.blockNumber, finding.detector, finding.severity, finding.summary);
    return { incident: this.incident(Number(result.lastInsertRowid))!, created: true };
  }

  /**
   * Records what the responder did for an incident: the first action that landed is kept. Until one lands, a skip or
   * a failure stands in for it: anything replaces a failure, and a mined action replaces a skip (a skip, then the
   * exploit's next finding's mined pause, records the pause).
   */
  recordIncidentAction(
    id: number,
    action: { key: string; status: string; txHash?: string; blockNumber?: number },
    at = Date.now(),
  ): void {
    this.db
      .prepare(
        `UPDATE incidents SET action_key = ?, action_status = ?, tx_hash = ?, action_block = ?, acted_at = ?
         WHERE id = ? AND (action_status IS NULL OR action_status = 'failed' OR (action_status = 'skipped' AND ? = 'mined'))`,
      )
      .run(action.key, action.status, action.txHash ?? null, action.blockNumber ?? null, at, id, action.status);
  }

  closeIncident(id: number, at = Date.now()): void {
    this.db.prepare("UPDATE incidents SET closed_at = ? WHERE id = ? AND closed_at IS NULL").run(at, id);
  }

  openIncidentOf(protocol: string): Incident | undefined {
    const row = this.db
      .prepare("SELECT * FROM incidents WHERE chain_id = ? AND protocol = ? AND closed_at IS NULL ORDER BY id DESC")
      .get(this.chainId, protocol) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toIncident(row);
  }

  incident(id: number): Incident | undefined {
    const row = this.db.prepare("SELECT * FROM incidents WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toIncident(row);
  }

  /** Every incident of this chain, oldest first. */
  incidents(): Incident[] {
    return (
      this.db.prepare("SELECT * FROM incidents WHERE chain_id = ? ORDER BY id").all(this.chainId) as Record<
        string,
        unknown
      >[]
    ).map(toIncident);
  }
}

function toEntry(row: Record<string, unknown>): OutboxEntry {
  return {
    id: Number(row.id),
    key: String(row.key),
    action: JSON.parse(String(row.action)) as Record<string, unknown>,
    status: String(row.status) as OutboxStatus,
    txHash: row.tx_hash === null ? undefined : String(row.tx_hash),
    nonce: row.nonce === null ? undefined : Number(row.nonce),
    attempts: Number(row.attempts),
    note: row.note === null ? undefined : String(row.note),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function optional<T>(value: unknown, as: (v: unknown) => T): T | undefined {
  return value === null || value === undefined ? undefined : as(value);
}

function toIncident(row: Record<string, unknown>): Incident {
  return {
    id: Number(row.id),
    protocol: String(row.protocol),
    hub: String(row.hub),
    openedAt: Number(row.opened_at),
    firstBlock: Number(row.first_block),
    detector: String(row.detector),
    severity: String(row.severity) as Severity,
    summary: String(row.summary),
    findings: Number(row.findings),
    actionKey: optional(row.action_key, String),
    actionStatus: optional(row.action_status, String),
    txHash: optional(row.tx_hash, String),
    actionBlock: optional(row.action_block, Number),
    actedAt: optional(row.acted_at, Number),
    closedAt: optional(row.closed_at, Number),
  };
}

/** A row of the findings table, as SELECTs here read it. */
interface FindingRow {
  id: number;
  block_number: number;
  block_hash: string;
  detector: string;
  severity: Severity;
  summary: string;
  data: string;
  retracted?: number;
  created_at?: number;
  response?: string | null;
}

function toFinding(r: FindingRow): Finding {
  return {
    id: r.id,
    blockNumber: r.block_number,
    blockHash: r.block_hash,
    detector: r.detector,
    severity: r.severity,
    summary: r.summary,
    data: JSON.parse(r.data) as Record<string, unknown>,
    ...(r.retracted === undefined ? {} : { retracted: r.retracted === 1 }),
  };
}
