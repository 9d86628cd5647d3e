/**
 * The EVM's view of state during a proven call: only what {@link ProvenCache} holds, i.e. what verified against the
 * trusted state root. A read of anything not proven yet is recorded as a miss and answered with the empty value, so
 * that one run discovers every independent read at once; the run is then thrown away, the misses are proven, and the
 * call runs again. A run with no miss read nothing but proven state: its result is proven.
 */
import { SimpleStateManager } from "@ethereumjs/statemanager";
import { type Address, bytesToBigInt, bytesToHex, createAccount, hexToBytes } from "@ethereumjs/util";

import type { Needs, ProvenCache } from "./fetcher.js";

export class ProvenState extends SimpleStateManager {
  readonly misses: Needs = { accounts: new Map() };
  /** What the run read (accounts and slots), for the result. */
  readonly read = { accounts: new Set<string>(), slots: new Set<string>() };

  constructor(readonly cache: ProvenCache) {
    super();
    // Proven state is the bottom of the journal, so that the EVM's reverts never undo it.
    for (const [address, account] of cache.accounts) {
      if (!account.exists) continue;
      const key = address as `0x${string}`;
      this.topAccountStack().set(
        key,
        createAccount({
          nonce: account.nonce,
          balance: account.balance,
          storageRoot: hexToBytes(account.storageRoot as `0x${string}`),
          codeHash: hexToBytes(account.codeHash as `0x${string}`),
        }),
      );
      const code = cache.codeOf(address);
      if (code !== undefined && code.length > 0) this.topCodeStack().set(key, code);
      for (const [slot, value] of cache.slots.get(address) ?? []) {
        if (value !== 0n) this.topStorageStack().set(`${key}_${bytesToHex(word(slot))}`, unpadded(value));
      }
    }
  }

  private need(address: string) {
    let need = this.misses.accounts.get(address);
    if (need === undefined) {
      need = { code: false, slots: new Set() };
      this.misses.accounts.set(address, need);
    }
    return need;
  }

  /** Whether the execution itself wrote this account (then what it reads is its own write, nothing to prove). */
  private written(address: string): boolean {
    return this.topAccountStack().has(address as `0x${string}`) && !this.cache.accounts.has(address);
  }

  override async getAccount(address: Address) {
    const key = address.toString();
    this.read.accounts.add(key);
    if (!this.cache.accounts.has(key) && !this.written(key)) this.need(key);
    return await super.getAccount(address);
  }

  override async getCode(address: Address) {
    const key = address.toString();
    if (this.cache.codeOf(key) === undefined && !this.topCodeStack().has(key)) this.need(key).code = true;
    return await super.getCode(address);
  }

  override async getStorage(address: Address, slot: Uint8Array) {
    const key = address.toString();
    const index = bytesToBigInt(slot);
    this.read.slots.add(`${key}:${index}`);
    const storageKey = `${key}_${bytesToHex(slot)}`;
    if (this.cache.slot(key, index) === undefined && !this.topStorageStack().has(storageKey)) {
      this.need(key).slots.add(index);
    }
    return await super.getStorage(address, slot);
  }

  /** Whether the run read only proven state. */
  get closed(): boolean {
    return this.misses.accounts.size === 0;
  }
}

function word(slot: bigint): Uint8Array {
  const bytes = new Uint8Array(32);
  let v = slot;
  for (let i = 31; i >= 0 && v > 0n; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytes;
}

/** A storage value as the EVM's state managers return it: big-endian, leading zeros stripped. */
function unpadded(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return hexToBytes(`0x${hex}`);
}
