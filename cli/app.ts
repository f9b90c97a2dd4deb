import type { Logger } from 'pino';
import { storeNamespace, type FlowwatchConfig } from '../config/schema';
import type { FlowName } from '../ingest/simulator';
import { SimulatorSource } from '../ingest/sources/simulator-source';
import { FileSource } from '../ingest/sources/file-source';
import type { Source } from '../ingest/sources/types';
import { FileDeadLetter, StderrDeadLetter, type DeadLetterOutput } from '../ingest/dead-letter';
import { createReceivers } from '../alerts/receivers/registry';
import { firingFor } from '../alerts/receivers/alertmanager-source';
import type { NotifiedAlert } from '../alerts/notification';
import type { Receiver } from '../alerts/receivers/types';
import type { AlertDispatcher } from '../alerts/dispatch';
import { AlertingPipeline, type AlertingOptions } from '../alerts/alerting';
import { ReferenceData } from '../ingest/reference/reference';
import { fanOutRoute } from '../alerts/route/route';
import { MemoryAlertStore } from '../alerts/store/memory';
import { RedisAlertStore } from '../alerts/store/redis';
import type { AlertStore } from '../alerts/store/types';
import { FlowwatchMetrics } from '../api/metrics';
import { systemClock, type Clock } from '../kernel/clock';
import { MemoryStateStore } from '../state/memory-store';
import { RedisStateStore } from '../state/redis-store';
import type { StateStore } from '../state/types';
import { KafkaSource, createKafka, isPermanentKafkaError } from '../ingest/sources/kafka-source';
import { kafkaConnection } from '../ingest/kafka-env';
import { KafkaDeadLetter } from '../ingest/kafka-dead-letter';
import { ensureTopics } from '../ingest/kafka-topics';
import { Partitioners } from 'kafkajs';
import type { Sink } from '../sinks/types';
import { createSink } from '../sinks/registry';
import { Health } from '../kernel/health';
import { connectLoop } from '../ingest/sources/connect-loop';

export interface Wiring {
  sources: Source[];
  simulator?: SimulatorSource;
  dispatcher: AlertDispatcher;
  /** The same object as `dispatcher`: routing, grouping, silences, acks, outbox (the API uses it). */
  alerting: AlertingPipeline;
  metrics: FlowwatchMetrics;
  deadLetter: DeadLetterOutput;
  store: StateStore;
  sinks: Sink[];
  /**
   * Readiness of the worker: its parts (sources, dead-letter output, sinks, state store) report
   * problems here; /readyz and /metrics read it.
   */
  health: Health;
  /**
   * Connects what needs connecting before the first batch (Kafka producers), retrying until it
   * works or `signal` stops it (then it rejects with ConnectAborted).
   */
  start(signal?: AbortSignal): Promise<void>;
  /** Closes every part at once (each bounds its own wait), so one slow part does not hold the others. */
  close(): Promise<void>;
}

export interface WiringOptions {
  seed?: number;
  speed?: number | 'max';
  simDuration?: number;
  json?: boolean;
  color?: boolean;
  /** Replace configured receivers (tests): every one gets every alert (no route, no escalation). */
  receivers?: Receiver[];
  /** Alert state store (tests); default from config.alerting.store (else like state.backend). */
  alertStore?: AlertStore;
  /** Wall clock for group/repeat/escalation timers, the stores, sinks and Kafka stamps (default: the system clock). */
  clock?: Clock;
  deadLetter?: DeadLetterOutput;
  store?: StateStore;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Builds the I/O edges named in a config: sources, receivers, dead letter, state store. */
export function wire(config: FlowwatchConfig, log: Logger, o: WiringOptions = {}): Wiring {
  const clock = o.clock ?? systemClock;
  const { sources, simulator, kafkaTopics } = localSources(config, o);
  // Fail fast on a missing Kafka setting, before any connection is opened.
  if (kafkaTopics.size > 0 || config.dead_letter.type === 'kafka') kafkaConnection(config);
  const health = new Health();
  const store = o.store ?? createStore(config, log, health, clock);
  const metrics = new FlowwatchMetrics();
  metrics.readEpoch(() => store.epoch);
  if (kafkaTopics.size > 0) {
    const kafkaSource = createKafkaSource(config, kafkaTopics, store, log, { health, clock });
    sources.push(kafkaSource);
    metrics.readLag(() => kafkaSource.lag());
  }
  const toStart: StartStep[] = [];
  const deadLetter = o.deadLetter ?? createDeadLetter(config, log, toStart);
  // The alertmanager receiver re-sends what is firing: it reads the alerting stage built below.
  const firing = (name: string): Promise<NotifiedAlert[]> => firingFor(alerting, name);
  const receivers = o.receivers ?? configuredReceivers(config, o, log, toStart, { clock, firingFor: firing });
  const sinks = config.sinks.map((c) => createSink(c, log, clock));
  metrics.readHealth(health);
  metrics.readSinks(sinks);
  const alerting = new AlertingPipeline({
    store: o.alertStore ?? createAlertStore(config, clock, log),
    receivers,
    route: o.receivers || !config.route ? fanOutRoute(receivers.map((r) => r.name)) : config.route,
    inhibitRules: config.inhibit_rules,
    config: o.receivers ? { ...config.alerting, escalation: [] } : config.alerting,
    clock,
    log: log.child({ component: 'alerts' }),
    metrics,
    ...incidentOptions(config, log),
  });
  metrics.readFrom(() => alerting.snapshot());
  const dispatcher: AlertDispatcher = alerting;
  return {
    sources,
    simulator,
    dispatcher,
    alerting,
    metrics,
    deadLetter,
    store,
    sinks,
    health,
    async start(signal?: AbortSignal) {
      await connectAll(toStart, log, health, signal);
      alerting.start();
    },
    async close() {
      // At once, not one after another: each part bounds its own wait (the alert drain, Redis's
      // command timeout), and in sequence those bounds added up past the shutdown timeout.
      const results = await Promise.allSettled([dispatcher.close(), deadLetter.close(), ...sinks.map((s) => s.close()), store.close()]);
      for (const r of results) if (r.status === 'rejected') log.warn({ err: r.reason }, 'closing a part failed');
    },
  };
}

/** Something to connect before the first batch (a Kafka producer, its topics). */
interface StartStep {
  component: string;
  what: string;
  connect: () => Promise<void>;
}

/** The file sources and the simulator (first), and the Kafka topics by stream. */
function localSources(
  config: FlowwatchConfig,
  o: WiringOptions,
): { sources: Source[]; simulator?: SimulatorSource; kafkaTopics: Map<string, string> } {
  const sources: Source[] = [];
  const simFlows: FlowName[] = [];
  const kafkaTopics = new Map<string, string>();
  for (const [name, s] of Object.entries(config.streams)) {
    if (s.source.type === 'simulator') simFlows.push(name as FlowName);
    else if (s.source.type === 'kafka') for (const t of s.source.topics) kafkaTopics.set(t, name);
    else if (s.source.type === 'file') {
      const header = s.mapping.format === 'csv' ? s.mapping.csv?.columns.join(s.mapping.csv.delimiter) : undefined;
      sources.push(new FileSource(name, s.source.path, { csvHeader: header }));
    }
  }
  let simulator: SimulatorSource | undefined;
  if (simFlows.length > 0) {
    const simConfig = o.speed !== undefined ? { ...config.simulator, speed: o.speed } : config.simulator;
    simulator = new SimulatorSource({ flows: simFlows, config: simConfig, seed: o.seed, simDuration: o.simDuration, sleep: o.sleep });
    sources.unshift(simulator);
  }
  return { sources, simulator, kafkaTopics };
}

function createKafkaSource(
  config: FlowwatchConfig,
  topics: Map<string, string>,
  store: StateStore,
  log: Logger,
  o: { health: Health; clock: Clock },
): KafkaSource {
  return new KafkaSource({
    connection: kafkaConnection(config),
    groupId: config.kafka?.group_id ?? 'flowwatch',
    topics,
    fromBeginning: config.kafka?.from_beginning ?? true,
    sessionTimeout: config.kafka?.session_timeout,
    maxBatchBytes: config.kafka?.max_batch_bytes,
    fetchWaitMs: config.kafka?.fetch_wait,
    log: log.child({ component: 'kafka' }),
    appliedPosition: (scope) => store.position(scope),
    health: o.health,
    clock: o.clock,
  });
}

/** The configured dead-letter output; a Kafka one's producer (and topic) connects at start. */
function createDeadLetter(config: FlowwatchConfig, log: Logger, toStart: StartStep[]): DeadLetterOutput {
  const dl = config.dead_letter;
  if (dl.type === 'file') return new FileDeadLetter(dl.path, { log: log.child({ component: 'dead-letter' }) });
  if (dl.type === 'stderr') return new StderrDeadLetter();
  const kafka = createKafka(kafkaConnection(config), log.child({ component: 'dead-letter' }));
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const topic = dl.topic;
  toStart.push({
    component: 'kafka:dead-letter',
    what: `Kafka producer for the dead-letter topic ${topic}`,
    connect: async () => {
      await ensureTopics(kafka, [topic]);
      await producer.connect();
    },
  });
  return new KafkaDeadLetter(producer, dl.topic);
}

/** The configured receivers; Kafka ones get a producer whose topics are made at start. */
function configuredReceivers(
  config: FlowwatchConfig,
  o: WiringOptions,
  log: Logger,
  toStart: StartStep[],
  late: { clock: Clock; firingFor: (receiver: string) => Promise<NotifiedAlert[]> },
): Receiver[] {
  const alertTopics = config.receivers.flatMap((r) => (r.type === 'kafka' ? [r.topic] : []));
  return createReceivers(config.receivers, {
    json: o.json,
    color: o.color,
    clock: late.clock,
    firingFor: late.firingFor,
    externalUrl: config.alerting.api ? `http://${config.alerting.api.listen}` : undefined,
    log: log.child({ component: 'alerts' }),
    kafkaProducer: () => {
      const kafka = createKafka(kafkaConnection(config), log.child({ component: 'alerts', receiver: 'kafka' }));
      toStart.push({
        component: 'kafka:alert-topics',
        what: `Kafka alert topics ${alertTopics.join(', ')}`,
        connect: () => ensureTopics(kafka, alertTopics).then(() => undefined),
      });
      return kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    },
  });
}

/** Connects each step in turn: once without a signal; with one, retrying (health shows why) until it works or the signal stops it. */
async function connectAll(toStart: readonly StartStep[], log: Logger, health: Health, signal?: AbortSignal): Promise<void> {
  for (const s of toStart) {
    if (!signal) await s.connect();
    else {
      const component = s.component;
      await connectLoop(s.connect, {
        what: s.what,
        signal,
        log,
        onFailure: (err) => health.fail(component, (err as Error).message),
        onSuccess: () => health.ok(component),
        permanent: isPermanentKafkaError,
      });
    }
  }
}

/** Reference data (watched for changes every reload_interval) and correlation rules, when `incidents:` is configured. */
function incidentOptions(config: FlowwatchConfig, log: Logger): Pick<AlertingOptions, 'reference' | 'incidents'> {
  const inc = config.incidents;
  if (!inc) return {};
  const ref = inc.reference ? new ReferenceData(inc.reference.files, log.child({ component: 'reference' })) : undefined;
  ref?.watch(inc.reference!.reload_interval);
  return { reference: ref, incidents: inc };
}

/** Alert state: memory for one process, Redis (state.url, state.prefix) for workers sharing it. */
function createAlertStore(config: FlowwatchConfig, clock: Clock, log: Logger): AlertStore {
  const backend = config.alerting.store ?? config.state.backend;
  if (backend === 'memory') return new MemoryAlertStore(clock);
  return new RedisAlertStore({
    url: config.state.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: storeNamespace(config),
    log: log.child({ component: 'alert-store' }),
  });
}

function createStore(config: FlowwatchConfig, log: Logger, health: Health, clock: Clock): StateStore {
  if (config.state.backend === 'memory') return new MemoryStateStore();
  return new RedisStateStore({
    url: config.state.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: storeNamespace(config),
    log: log.child({ component: 'state' }),
    ttlSeconds: Math.round(config.state.idle_ttl / 1000),
    health,
    clock,
  });
}
