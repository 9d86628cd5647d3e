/**
 * The downtime figures of a rebuilt history over a period, computed purely (no I/O): per lane and for the protocol,
 * uptime, downtime windows (clipped to the period), time to detect, to pause and to recover (mean and worst), and an
 * estimate of the revenue lost. Planned maintenance is counted apart from unplanned downtime, and the response
 * times are over unplanned incidents only (nobody "detects" a planned pause).
 *
 * Definitions (all in seconds):
 * - downtime of a lane: time in the period during which it was unavailable (for a scope: the protocol-wide state was
 *   not Active, or the scope was paused); for the protocol: time during which any part of it was unavailable.
 * - time to detect: detection (the watcher's first finding, or the on-chain trip) minus the anomaly's start.
 * - time to pause: the pause transaction's block time minus detection.
 * - time to recover: every scope open again minus the pause (for a lane: the length of each window that ended).
 */
import { CordonError } from "../errors.js";
import {
  CAUSES,
  type Cause,
  type DowntimeWindow,
  type History,
  type Incident,
  isPlanned,
  type Moment,
  PROTOCOL_LANE,
} from "./history.js";

export interface Period {
  start: Moment;
  end: Moment;
}

/** Mean and worst of a set of durations; `count` is how many incidents or windows had the figure. */
export interface Stat {
  count: number;
  mean: number | undefined;
  worst: number | undefined;
}

export interface WindowFigure {
  lane: string;
  incidentId: number;
  cause: Cause;
  planned: boolean;
  /** Clipped to the period. */
  start: Moment;
  end: Moment;
  seconds: number;
  /** Still down at the end of the history. */
  ongoing: boolean;
}

export interface LaneFigures {
  lane: string;
  downtimeSeconds: number;
  unplannedSeconds: number;
  plannedSeconds: number;
  /** Up time over the period, planned maintenance counted as down. */
  uptimePercent: number;
  /** Up time over the period with planned maintenance not counted as down. */
  unplannedUptimePercent: number;
  windows: WindowFigure[];
  /** Over the unplanned incidents with a window on this lane. */
  timeToDetect: Stat;
  timeToPause: Stat;
  /** Over this lane's unplanned windows that ended. */
  timeToRecover: Stat;
}

export interface IncidentFigure extends Incident {
  /** Time in the period during which any part of the protocol was down for this incident. */
  downtimeSeconds: number;
  timeToDetect: number | undefined;
  timeToPause: number | undefined;
  timeToRecover: number | undefined;
}

export interface RevenueOptions {
  /** Fees the protocol earns per hour, in any unit (the report uses the same unit). */
  feesPerHour?: number;
  /** A fee rate in basis points, applied to `volumePerHour`. */
  feeRateBps?: number;
  volumePerHour?: number;
}

export interface RevenueLost {
  perHour: number;
  unplanned: number;
  planned: number;
  total: number;
}

export interface ProtocolFigures extends LaneFigures {
  /** Time in the period during which the protocol-wide state was not Active (everything stopped). */
  fullOutageSeconds: number;
  incidents: number;
  unplannedIncidents: number;
  plannedIncidents: number;
  byCause: Record<Cause, { incidents: number; downtimeSeconds: number }>;
  timeToRecover: Stat;
  revenueLost: RevenueLost | undefined;
}

export interface Figures {
  hub: string;
  period: Period & { seconds: number };
  protocol: ProtocolFigures;
  lanes: LaneFigures[];
  incidents: IncidentFigure[];
}

/** The hourly fee figure from either a fee per hour or a rate on a volume; undefined when neither is given. */
export function revenuePerHour(options: RevenueOptions): number | undefined {
  const { feesPerHour, feeRateBps, volumePerHour } = options;
  if (feesPerHour !== undefined && feeRateBps !== undefined) {
    throw new CordonError("give either feesPerHour or feeRateBps, not both", {
      details: `feesPerHour is ${feesPerHour} and feeRateBps is ${feeRateBps}`,
    });
  }
  if (feesPerHour !== undefined) {
    if (!(feesPerHour >= 0)) throw new CordonError(`feesPerHour must be a number >= 0, not ${feesPerHour}`);
    return feesPerHour;
  }
  if (feeRateBps === undefined) return undefined;
  if (!(feeRateBps >= 0 && feeRateBps <= 10_000)) {
    throw new CordonError(`feeRateBps must be between 0 and 10000, not ${feeRateBps}`);
  }
  if (volumePerHour === undefined || !(volumePerHour >= 0)) {
    throw new CordonError("feeRateBps needs volumePerHour, the volume the fee rate applies to per hour", {
      details: `volumePerHour is ${volumePerHour}; set it to the protocol's usual hourly volume`,
    });
  }
  return (volumePerHour * feeRateBps) / 10_000;
}

export function stat(values: number[]): Stat {
  if (values.length === 0) return { count: 0, mean: undefined, worst: undefined };
  return {
    count: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    worst: Math.max(...values),
  };
}

/** Clips `w` to the period; undefined when it lies outside. The history's end stands in for a window still open. */
function clip(w: DowntimeWindow, period: Period, historyEnd: Moment): WindowFigure | undefined {
  const end = w.end ?? historyEnd;
  const start = w.start.time < period.start.time ? period.start : w.start;
  const stop = end.time > period.end.time ? period.end : end;
  if (stop.time <= start.time) return undefined;
  return {
    lane: w.lane,
    incidentId: w.incidentId,
    cause: w.cause,
    planned: isPlanned(w.cause),
    start,
    end: stop,
    seconds: stop.time - start.time,
    ongoing: w.end === undefined,
  };
}

function sum(windows: WindowFigure[], planned?: boolean): number {
  return windows.filter((w) => planned === undefined || w.planned === planned).reduce((a, w) => a + w.seconds, 0);
}

const timeToDetect = (i: Incident) =>
  i.anomalyAt !== undefined && i.detectedAt !== undefined ? i.detectedAt.time - i.anomalyAt.time : undefined;
const timeToPause = (i: Incident) => (i.detectedAt !== undefined ? i.pausedAt.time - i.detectedAt.time : undefined);
const timeToRecover = (i: Incident) => (i.restoredAt !== undefined ? i.restoredAt.time - i.pausedAt.time : undefined);

function defined(values: (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

/** Computes every figure of `history` over `period`. */
export function computeFigures(history: History, period: Period, revenue: RevenueOptions = {}): Figures {
  const seconds = period.end.time - period.start.time;
  if (!(seconds > 0)) {
    throw new CordonError(`the report period is empty: it ends (${period.end.time}) before it starts`, {
      details: `start ${period.start.time}, end ${period.end.time} (unix seconds)`,
    });
  }
  const perHour = revenuePerHour(revenue);
  const percentUp = (down: number) => (100 * (seconds - down)) / seconds;

  const clipAll = (ws: DowntimeWindow[]) =>
    ws.map((w) => clip(w, period, history.end)).filter((w): w is WindowFigure => w !== undefined);
  const protocolWindows = clipAll(history.protocolWindows);
  const byIncident = new Map<number, number>();
  for (const w of protocolWindows) byIncident.set(w.incidentId, (byIncident.get(w.incidentId) ?? 0) + w.seconds);

  const incidents: IncidentFigure[] = history.incidents
    .filter((i) => byIncident.has(i.id))
    .map((i) => ({
      ...i,
      downtimeSeconds: byIncident.get(i.id)!,
      timeToDetect: timeToDetect(i),
      timeToPause: timeToPause(i),
      timeToRecover: timeToRecover(i),
    }));
  const unplanned = incidents.filter((i) => !i.planned);
  const unplannedIds = new Set(unplanned.map((i) => i.id));

  const laneFigures = (lane: string, windows: WindowFigure[], recoverTimes: number[]): LaneFigures => {
    const ids = new Set(windows.map((w) => w.incidentId));
    const affected = unplanned.filter((i) => ids.has(i.id));
    const downtimeSeconds = sum(windows);
    const plannedSeconds = sum(windows, true);
    return {
      lane,
      downtimeSeconds,
      unplannedSeconds: downtimeSeconds - plannedSeconds,
      plannedSeconds,
      uptimePercent: percentUp(downtimeSeconds),
      unplannedUptimePercent: percentUp(downtimeSeconds - plannedSeconds),
      windows,
      timeToDetect: stat(defined(affected.map(timeToDetect))),
      timeToPause: stat(defined(affected.map(timeToPause))),
      timeToRecover: stat(recoverTimes),
    };
  };

  const lanes = history.lanes.map((lane) => {
    const raw = history.windows.filter((w) => w.lane === lane);
    const recover = raw
      .filter((w) => w.end !== undefined && unplannedIds.has(w.incidentId) && clip(w, period, history.end))
      .map((w) => w.end!.time - w.start.time);
    return laneFigures(lane, clipAll(raw), recover);
  });

  const byCause = Object.fromEntries(CAUSES.map((c) => [c, { incidents: 0, downtimeSeconds: 0 }])) as Record<
    Cause,
    { incidents: number; downtimeSeconds: number }
  >;
  for (const i of incidents) {
    byCause[i.cause].incidents += 1;
    byCause[i.cause].downtimeSeconds += i.downtimeSeconds;
  }
  const base = laneFigures("any", protocolWindows, defined(unplanned.map(timeToRecover)));
  const protocolLane = lanes.find((l) => l.lane === PROTOCOL_LANE)!;
  const hours = (s: number) => s / 3600;
  return {
    hub: history.hub,
    period: { ...period, seconds },
    protocol: {
      ...base,
      fullOutageSeconds: protocolLane.downtimeSeconds,
      incidents: incidents.length,
      unplannedIncidents: unplanned.length,
      plannedIncidents: incidents.length - unplanned.length,
      byCause,
      revenueLost:
        perHour === undefined
          ? undefined
          : {
              perHour,
              unplanned: perHour * hours(base.unplannedSeconds),
              planned: perHour * hours(base.plannedSeconds),
              total: perHour * hours(base.downtimeSeconds),
            },
    },
    lanes,
    incidents,
  };
}
