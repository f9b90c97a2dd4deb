/** Test helpers for incidents: a pipeline with reference data and the example rules over a given store. */
import * as path from 'node:path';
import type { ManualClock } from '../../../kernel/clock';
import { silentLogger } from '../../../kernel/logger';
import { ReferenceData } from '../../../ingest/reference/reference';
import { AlertingPipeline } from '../../alerting';
import { alertingConfig, RecordingReceiver, route } from '../../testing/fakes';
import type { AlertStore } from '../../store/types';
import { incidentsSchema, type IncidentsConfig } from '../config';

export const EXAMPLE_TABLES = ['places.yaml', 'gates.csv', 'fleet.jsonl', 'accounts.csv'].map((f) =>
  path.join(__dirname, '../../../examples/reference', f),
);

export const DEPARTMENTS = ['transport', 'public-security', 'market-regulation', 'health', 'finance'] as const;

/** The rules of examples/incidents.yaml. */
export function exampleIncidents(over: Partial<IncidentsConfig> = {}): IncidentsConfig {
  return incidentsSchema.parse({
    departments: Object.fromEntries(DEPARTMENTS.map((d) => [d, { receiver: `${d}-desk` }])),
    rules: [
      {
        name: 'district-event',
        join_on: 'district',
        streams: ['people', 'goods', 'funds'],
        window: '15m',
        severity: 'critical',
        departments: ['transport', 'public-security'],
        title: 'Cross-flow event in {district} ({place_name})',
      },
      {
        name: 'party-cold-chain',
        join_on: 'party',
        streams: ['goods', 'funds'],
        window: '1h',
        severity: 'warning',
        departments: ['market-regulation', 'health', 'finance'],
        title: 'Cold chain and payments of {party}',
      },
    ],
    ...over,
  });
}

/** One worker: a console-like receiver for alerts and one recording receiver per department desk. */
export function incidentPipeline(o: {
  store: AlertStore;
  clock: ManualClock;
  reference?: ReferenceData;
  incidents?: IncidentsConfig;
  workerId?: string;
}) {
  const desks = DEPARTMENTS.map((d) => new RecordingReceiver(`${d}-desk`));
  const alerts = new RecordingReceiver('console');
  const p = new AlertingPipeline({
    store: o.store,
    receivers: [alerts, ...desks],
    route: route({ receiver: 'console' }),
    config: alertingConfig(),
    clock: o.clock,
    log: silentLogger(),
    random: () => 1,
    workerId: o.workerId,
    reference: o.reference ?? new ReferenceData(EXAMPLE_TABLES),
    incidents: o.incidents ?? exampleIncidents(),
  });
  const desk = (d: (typeof DEPARTMENTS)[number]) => desks[DEPARTMENTS.indexOf(d)];
  return { p, alerts, desks, desk };
}
