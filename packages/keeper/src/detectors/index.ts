/** Every built-in detector, and the plug-in interface a team's own detector implements. */
export { chainHaltDetector, type ChainHaltOptions } from "./chain-halt.js";
export { HUB_EVENT_CLASSES, HUB_EVENT_SEVERITIES, type HubEventClass } from "./hub-event-classes.js";
export { hubEventsDetector, type HubEventsOptions } from "./hub-events.js";
export { invariantDetector, type InvariantOptions } from "./invariant.js";
export { oracleDeviationDetector, type OracleDeviationOptions } from "./oracle.js";
export { privilegedEventsDetector, type PrivilegedEventsOptions } from "./privileged.js";
export { rpcDivergenceDetector, type RpcDivergenceOptions } from "./rpc-divergence.js";
export {
  largeTransferDetector,
  type LargeTransferOptions,
  outflowVolumeDetector,
  type OutflowVolumeOptions,
} from "./transfers.js";
export { tvlDropDetector, type TvlDropOptions } from "./tvl.js";
export type { AfterTrip, Detector, DetectorContext, DetectorFinding, PollContext, Response } from "./types.js";
export { callsDetector, type CallsDetectorOptions } from "./calls.js";
export { eventDetector, type EventDetectorOptions } from "./event.js";
export { viewDetector, type ViewDetectorOptions } from "./view.js";
export { compileCondition, type Condition, ConditionError } from "./expression.js";
