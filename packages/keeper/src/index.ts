/**
 * `@cordon/keeper`: Cordon's watcher as a library. The `cordon-keeper` binary runs it from a config file; these are
 * the pieces a team uses from code: the command itself, the config loader, the RPC pool, and the types a detector
 * plug-in implements. Every module is also importable by its path, e.g. `@cordon/keeper/governance/status.js`.
 */
export { type WatchArgs, type WatchIO, WATCH_USAGE, watchCommand } from "./keeper/command.js";
export { Keeper, type KeeperOptions } from "./keeper/service.js";
export type { DetectorModuleContext } from "./keeper/build.js";
export { ConfigError, type ConfigProblem, type KeeperConfig, loadConfig, parseConfig } from "./config/load.js";
export type {
  Detector,
  DetectorContext,
  DetectorFinding,
  DoneCheck,
  PollContext,
  Response,
} from "./detectors/types.js";
export type { Finding, Severity } from "./domain/types.js";
export {
  type ActionKind,
  type AlertKind,
  type DetectorBuildContext,
  type DetectorKind,
  defineActionKind,
  defineAlertKind,
  defineDetectorKind,
} from "./config/kinds.js";
export { ACTION_KINDS } from "./actions/index.js";
export { ALERT_KINDS } from "./alerts/kinds/index.js";
export { DETECTOR_KINDS } from "./detectors/kinds/index.js";
export { type EndpointHealth, type EndpointStatus, type PoolConfig, RpcPool } from "./rpc/pool.js";
export { CordonError } from "./errors.js";
