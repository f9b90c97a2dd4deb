import { z } from 'zod';
import { duration } from '../kernel/duration';

/**
 * Fields every detector accepts besides its own parameters. The alert lifecycle uses them;
 * the detector itself only sees its own parameters.
 */
export const commonDetectorFields = {
  /** Unique name within the stream; defaults to the type (then type-2, type-3 ...). */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase name like "crowd-surge"')
    .optional(),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  labels: z.record(z.string(), z.string()).default({}),
  /** How long the condition must hold (event time) before pending becomes firing. */
  for: duration().default(0),
  /** Optional one-line summary template, e.g. "{key}: {value} entries/min ({deviation}σ)". */
  summary: z.string().optional(),
  /** Human words for the measured quantity in summaries, e.g. "entries/min". */
  unit: z.string().optional(),
};

export type CommonDetectorConfig = {
  name?: string;
  severity: 'info' | 'warning' | 'critical';
  labels: Record<string, string>;
  for: number;
  summary?: string;
  unit?: string;
};

/** Builds a strict detector schema: `type` literal + common fields + the detector's own fields. */
export function defineDetectorSchema<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...commonDetectorFields, ...shape }).strict();
}

/** Squash an unbounded non-negative deviation into a [0,1) score: 0 at 0, 0.5 at `half`, →1 beyond. */
export function squash(deviation: number, half: number): number {
  if (!(deviation > 0)) return 0;
  const x = deviation / half;
  return x / (1 + x);
}

/** Score of `value` against a limit: 0.5 exactly at the limit, rising towards 1 far beyond it. */
export function scoreAgainstLimit(excessRatio: number): number {
  // excessRatio = value/limit for upper limits; 1 means at the limit.
  if (!(excessRatio > 0)) return 0;
  return excessRatio / (1 + excessRatio);
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : 1;
}
