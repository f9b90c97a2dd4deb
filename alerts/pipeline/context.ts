import type { Clock } from '../../kernel/clock';
import type { AlertingConfig, InhibitRuleConfig } from '../config';
import type { DeliveryMetrics } from '../delivery/worker';
import type { EscalationRule } from '../escalation';
import type { Router } from '../route/route';
import type { AlertStore, Writes } from '../store/types';
import type { Alert } from '../../kernel/types';

export interface AlertingMetrics extends DeliveryMetrics {
  /** State changes accepted (after de-duplication), by status. */
  change(status: string): void;
}

/**
 * What the pipeline's stages (intake, flush, timers, commands) share: the store every one of
 * them works in, the injected clock, the settings and the routing tree. Built once by the
 * AlertingPipeline facade (alerts/alerting.ts).
 */
export interface StageContext {
  store: AlertStore;
  clock: Clock;
  config: AlertingConfig;
  router: Router;
  escalations: readonly EscalationRule[];
  inhibitRules: readonly InhibitRuleConfig[];
  /** Names of the configured receivers, in config order (each has an outbox). */
  receivers: readonly string[];
  metrics?: AlertingMetrics;
  /** Cross-flow incidents (alerts/incidents): correlated inside the intake transaction. */
  incidents?: {
    keysFor(alerts: readonly Alert[]): string[];
    apply(accepted: readonly Alert[], read: (key: string) => unknown, w: Writes, now: number): void;
  };
}

/** Most due groups or timers one pass takes from its index; the rest wait for the next tick. */
export const DUE_BATCH = 200;
