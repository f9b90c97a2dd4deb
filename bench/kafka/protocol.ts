import type { FlowName } from '../../ingest/simulator';
import type { LatencySummary } from '../histogram';

/** Kafka clients the load generator can send with (bench/kafka/producer-clients.ts). */
export const PRODUCER_CLIENTS = ['platformatic', 'kafkajs'] as const;
export type ProducerClientName = (typeof PRODUCER_CLIENTS)[number];

/** Messages between the bench and its producer process (child_process IPC). */
export interface ProducerSetup {
  type: 'setup';
  brokers: string[];
  /** The Kafka client the load is sent with. */
  client: ProducerClientName;
  /** stream → topic */
  topics: Partial<Record<FlowName, string>>;
  flows: FlowName[];
  keys: number;
  skew: number;
  seed: number;
}

export interface ProducerRun {
  type: 'run';
  /** Offered rate, events/s, for durationMs; event i is due at startAt + i/rate. */
  rate: number;
  durationMs: number;
  startAt: number;
}

export type ToProducer = ProducerSetup | ProducerRun | { type: 'stop' };

export type FromProducer =
  | { type: 'ready' }
  | { type: 'progress'; sent: number; acked: number; lagMs: number }
  /** ackMs: intended send time → the broker's ack, per message (the producer's and broker's part of the latency). */
  | { type: 'done'; sent: number; acked: number; maxLagMs: number; errors: number; ackMs: LatencySummary }
  | { type: 'error'; message: string };
