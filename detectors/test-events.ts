import type { FlowEvent } from '../kernel/types';

/** Test helper: a FlowEvent for key "k" on stream "s". Only used by detector tests. */
export function ev(ts: number, values: Record<string, number> = {}, attrs: Record<string, string> = {}): FlowEvent {
  return { stream: 's', key: 'k', ts, values, attrs };
}

export const ctx = { stream: 's', name: 'test' };
