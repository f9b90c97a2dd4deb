import { z } from 'zod';
import { defineDetectorSchema } from '../common';
import { checkClear, direction, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { EwmaDetector } from './ewma';

export const ewmaSchema = defineDetectorSchema('ewma', {
  /** Measurement to judge, as named in the stream mapping. */
  measurement: fieldName,
  /** Weight of the newest value, 0 < alpha ≤ 1. Default 0.1 (unless halflife is set). */
  alpha: z.number().gt(0).max(1).optional(),
  /** Alternative to alpha, counted in EVENTS (not time): a value's weight halves after this many newer values. alpha = 1 − 0.5^(1/halflife). */
  halflife: z.number().positive().optional(),
  /** Fire when |z| (or z, −z with direction) is > k. Default 3. */
  k: z.number().positive().default(3),
  /** Values to learn from before judging (no opinion meanwhile). Default 10. */
  warmup: z.number().int().min(2).default(10),
  /** Huber-clipped updates and a mean-absolute-deviation scale, so single outliers barely move the baseline. Default false. */
  robust: z.boolean().default(false),
  /** both: |z|; up: only values above the baseline; down: only below. Default both. */
  direction: direction.default('both'),
  /** Once firing, stay firing until the deviation is ≤ clear_k. Default 0.75·k. Must be ≤ k. */
  clear_k: z.number().min(0).optional(),
  /** Smallest std used, in the measurement's units. Default: only a float-noise floor, 1e-9·max(1, |mean|). */
  min_std: z.number().min(0).optional(),
}).superRefine((c, ctx) => {
  if (c.alpha !== undefined && c.halflife !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['halflife'], message: 'set alpha or halflife, not both' });
  }
  checkClear(ctx, 'clear_k', c.clear_k, 'k', c.k, 'le');
});

export type EwmaConfig = z.output<typeof ewmaSchema>;

export const ewma: DetectorFactory<EwmaConfig> = {
  type: 'ewma',
  description: 'Fires when a value is more than k (robust) standard deviations from an exponentially weighted baseline.',
  schema: ewmaSchema,
  create: (c) => new EwmaDetector(c),
};
