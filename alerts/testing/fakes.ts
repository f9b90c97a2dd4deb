/** Test helpers: alerts built by hand, and receivers that record what they got (fakes of our own interfaces). */
import { alertId } from '../identity';
import type { Alert, Severity } from '../../kernel/types';
import { ManualClock } from '../../kernel/clock';
import { silentLogger } from '../../kernel/logger';
import { AlertingPipeline, type AlertingOptions } from '../alerting';
import { ALERTING_DEFAULTS, type AlertingConfig, type RouteConfig } from '../config';
import type { Notification, NotifyContext } from '../notification';
import { MemoryAlertStore } from '../store/memory';
import { PermanentError, RetryableError, type Receiver } from '../receivers/types';

export function makeAlert(o: {
  stream?: string;
  key: string;
  detector?: string;
  status?: 'firing' | 'resolved';
  startsAt?: number;
  severity?: Severity;
  labels?: Record<string, string>;
}): Alert {
  const stream = o.stream ?? 'people';
  const detector = o.detector ?? 'surge';
  const status = o.status ?? 'firing';
  const startsAt = o.startsAt ?? 1_000;
  const severity = o.severity ?? 'warning';
  const fingerprint = `${stream}/${detector}/${o.key}`;
  const a: Alert = {
    id: alertId(fingerprint, status, startsAt),
    fingerprint,
    status,
    stream,
    key: o.key,
    detector,
    severity,
    labels: { ...o.labels, stream, key: o.key, detector, severity },
    startsAt,
    score: 0.9,
    summary: `${o.key}: something`,
    evidence: { measure: 'entries', value: 412, baseline: 130, deviation: 4.8, unit: 'sigma' },
  };
  if (status === 'resolved') a.endsAt = startsAt + 60_000;
  return a;
}

/** The resolve of a firing alert (same fingerprint and startsAt). */
export function resolved(a: Alert): Alert {
  return { ...a, id: alertId(a.fingerprint, 'resolved', a.startsAt), status: 'resolved', endsAt: a.startsAt + 60_000 };
}

/** Records every notification; `fail` makes the next deliveries throw. */
export class RecordingReceiver implements Receiver {
  readonly got: Notification[] = [];
  attempts = 0;
  fail: null | 'retryable' | 'permanent' = null;
  constructor(readonly name: string) {}
  async notify(_alerts: readonly Alert[], ctx?: NotifyContext): Promise<void> {
    this.attempts++;
    if (this.fail === 'retryable') throw new RetryableError(`${this.name} is down`);
    if (this.fail === 'permanent') throw new PermanentError(`${this.name} says 400`);
    this.got.push(ctx!.notification);
  }
  async close(): Promise<void> {}
  /** Alert ids received, in order, with their status. */
  ids(): string[] {
    return this.got.flatMap((n) => n.alerts.map((a) => a.id));
  }
  alerts() {
    return this.got.flatMap((n) => n.alerts.map((a) => ({ ...a, reason: n.reason })));
  }
}

export function alertingConfig(over: Partial<AlertingConfig> = {}): AlertingConfig {
  return { ...ALERTING_DEFAULTS, flap: { ...ALERTING_DEFAULTS.flap, threshold: 0 }, ...over };
}

export function route(over: Partial<RouteConfig> = {}): RouteConfig {
  return { matchers: [], continue: false, routes: [], ...over };
}

/** A pipeline over a memory store and a manual clock (starting at 1,000,000 ms); no poll loop — call tick(). */
export function testPipeline(o: {
  receivers: Receiver[];
  route?: RouteConfig;
  config?: Partial<AlertingConfig>;
  inhibitRules?: AlertingOptions['inhibitRules'];
  clock?: ManualClock;
  metrics?: AlertingOptions['metrics'];
}) {
  const clock = o.clock ?? new ManualClock(1_000_000);
  const store = new MemoryAlertStore(clock);
  const p = new AlertingPipeline({
    store,
    receivers: o.receivers,
    route: o.route ?? route({ receiver: o.receivers[0].name }),
    inhibitRules: o.inhibitRules,
    config: alertingConfig(o.config),
    clock,
    log: silentLogger(),
    random: () => 1,
    metrics: o.metrics,
  });
  return { p, clock, store };
}
