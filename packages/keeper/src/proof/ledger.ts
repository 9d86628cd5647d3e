/**
 * What each endpoint served while something was being proven: answers that verified, lies (answers that a proof, the
 * header's hash or the proven result contradicts) and failures (errors, timeouts: not counted as lies).
 */

/** `honest`: everything it served verified; `lied`: at least one answer was contradicted; `failed`: it only failed. */
export type EndpointVerdict = "honest" | "lied" | "failed" | "unused";

export interface EndpointRecord {
  verdict: EndpointVerdict;
  /** Answers that verified (proofs, code, headers, eth_call results equal to the proven one). */
  verified: number;
  /** What it got wrong, one line each. */
  lies: string[];
  /** Requests that failed (transport, timeout, error envelope), one line each. */
  errors: string[];
}

export class EndpointLedger {
  private readonly records = new Map<string, { verified: number; lies: string[]; errors: string[] }>();
  private readonly listeners: ((name: string, lie: string) => void)[] = [];

  constructor(readonly names: readonly string[]) {
    for (const name of names) this.records.set(name, { verified: 0, lies: [], errors: [] });
  }

  private of(name: string) {
    let record = this.records.get(name);
    if (record === undefined) {
      record = { verified: 0, lies: [], errors: [] };
      this.records.set(name, record);
    }
    return record;
  }

  verified(name: string): void {
    this.of(name).verified += 1;
  }

  lied(name: string, what: string): void {
    this.of(name).lies.push(what);
    for (const listener of this.listeners) listener(name, what);
  }

  /** Calls `listener` with every lie recorded from now on (a prover takes the liar out of its pool's rotation). */
  onLie(listener: (name: string, lie: string) => void): void {
    this.listeners.push(listener);
  }

  failed(name: string, error: unknown): void {
    this.of(name).errors.push(error instanceof Error ? error.message.split("\n")[0]! : String(error));
  }

  /** Whether `name` has been caught in a lie (provers ask such endpoints last). */
  hasLied(name: string): boolean {
    return this.of(name).lies.length > 0;
  }

  /** Each endpoint's verdict and what it served. */
  report(): Record<string, EndpointRecord> {
    const out: Record<string, EndpointRecord> = {};
    for (const [name, r] of this.records) {
      const verdict: EndpointVerdict =
        r.lies.length > 0 ? "lied" : r.verified > 0 ? "honest" : r.errors.length > 0 ? "failed" : "unused";
      out[name] = { verdict, verified: r.verified, lies: [...r.lies], errors: [...r.errors] };
    }
    return out;
  }

  /** The endpoints caught lying, with what each got wrong. */
  liars(): Map<string, string[]> {
    const liars = new Map<string, string[]>();
    for (const [name, r] of this.records) if (r.lies.length > 0) liars.set(name, [...r.lies]);
    return liars;
  }
}
