/**
 * The registry of detector kinds: the config's `detectors.<name>.kind` values. Each kind is one file declaring its
 * options (a zod shape), its docs and its builder (`defineDetectorKind`, `config/kinds.ts`); the config schema and
 * the keeper's builder are derived from this list. A new kind is a new file here and its line below.
 */
import calls from "./calls.js";
import chainHalt from "./chain-halt.js";
import event from "./event.js";
import hubEvents from "./hub-events.js";
import invariant from "./invariant.js";
import largeTransfer from "./large-transfer.js";
import module from "./module.js";
import oracleDeviation from "./oracle-deviation.js";
import outflowVolume from "./outflow-volume.js";
import privilegedEvents from "./privileged-events.js";
import rpcDivergence from "./rpc-divergence.js";
import tvlDrop from "./tvl-drop.js";
import view from "./view.js";

export const DETECTOR_KINDS = [
  largeTransfer,
  outflowVolume,
  invariant,
  tvlDrop,
  oracleDeviation,
  privilegedEvents,
  hubEvents,
  chainHalt,
  rpcDivergence,
  event,
  view,
  calls,
  module,
] as const;

export type { DetectorModuleContext } from "./module.js";
