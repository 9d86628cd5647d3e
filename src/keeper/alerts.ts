/** The keeper's alert seam: where findings and actions are announced. Built from the config's `alerts`. */
import type { Severity } from "../store/store.js";

export interface Alert {
  severity: Severity;
  title: string;
  summary: string;
  network?: string;
  protocol?: string;
  detector?: string;
  blockNumber?: number;
  txHash?: string;
  fields?: Record<string, string>;
  key: string;
  at: number;
}

export interface Notifier {
  notify(alert: Alert): void;
  close(): Promise<void>;
}
