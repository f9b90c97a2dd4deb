import type { ReceiverConfig } from '../../config/schema';
import { ConsoleReceiver } from './console';
import { JsonlFileReceiver } from './jsonl';
import type { Receiver } from './types';

export type { Receiver };

/** Builds receivers from config. `json` (from --json) switches console receivers to JSON lines. */
export function createReceivers(configs: readonly ReceiverConfig[], opts: { json?: boolean; color?: boolean } = {}): Receiver[] {
  return configs.map((c) => {
    switch (c.type) {
      case 'console':
        return new ConsoleReceiver(c.name, { json: c.json ?? opts.json ?? false, color: opts.color });
      case 'jsonl':
        return new JsonlFileReceiver(c.name, c.path);
    }
  });
}
