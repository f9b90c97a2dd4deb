import type { Logger } from 'pino';
import type { FlowwatchConfig } from '../config/schema';
import type { FlowName } from '../ingest/simulator';
import { SimulatorSource } from '../ingest/sources/simulator-source';
import { FileSource } from '../ingest/sources/file-source';
import type { Source } from '../ingest/sources/types';
import { FileDeadLetter, StderrDeadLetter, type DeadLetterOutput } from '../ingest/dead-letter';
import { createReceivers } from '../alerts/receivers';
import type { Receiver } from '../alerts/receivers/types';
import { AlertDispatcher } from '../alerts/dispatch';
import { MemoryStateStore } from '../state/memory-store';
import type { StateStore } from '../state/types';

export interface Wiring {
  sources: Source[];
  simulator?: SimulatorSource;
  dispatcher: AlertDispatcher;
  deadLetter: DeadLetterOutput;
  store: StateStore;
}

export interface WiringOptions {
  seed?: number;
  speed?: number | 'max';
  simDuration?: number;
  json?: boolean;
  color?: boolean;
  /** Replace configured receivers (tests). */
  receivers?: Receiver[];
  deadLetter?: DeadLetterOutput;
  store?: StateStore;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Builds the I/O edges named in a config: sources, receivers, dead letter, state store. */
export function wire(config: FlowwatchConfig, log: Logger, o: WiringOptions = {}): Wiring {
  const sources: Source[] = [];
  const simFlows: FlowName[] = [];
  for (const [name, s] of Object.entries(config.streams)) {
    if (s.source.type === 'simulator') simFlows.push(name as FlowName);
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
  const deadLetter = o.deadLetter ?? (config.dead_letter.type === 'file' ? new FileDeadLetter(config.dead_letter.path) : new StderrDeadLetter());
  const receivers = o.receivers ?? createReceivers(config.receivers, { json: o.json, color: o.color });
  return {
    sources,
    simulator,
    dispatcher: new AlertDispatcher(receivers, log.child({ component: 'alerts' })),
    deadLetter,
    store: o.store ?? new MemoryStateStore(),
  };
}
