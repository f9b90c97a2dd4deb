import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { defineDetectorSchema } from '../common';
import { checkClear, checkSlide, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { RateDetector } from './rate';

export const rateSchema = defineDetectorSchema('rate', {
  /** Measurement to count or sum. Absent: count events. */
  measurement: fieldName.optional(),
  /** count: events (carrying `measurement`, if set); sum: sum of `measurement`. Default: sum with a measurement, else count. */
  agg: z.enum(['count', 'sum']).optional(),
  /** Sliding window length. Default 5m. */
  window: duration({ min: 1 }).default(300_000),
  /** Pane length: the window moves in steps of `slide`. Must divide the window. Default window/10 (30s for 5m). */
  slide: duration({ min: 1 }).optional(),
  /** Fire when the windowed count/sum is > above. */
  above: z.number(),
  /** Once firing, stay firing until the count/sum is ≤ clear_below. Default: above. Must be ≤ above. */
  clear_below: z.number().optional(),
}).superRefine((c, ctx) => {
  if (c.agg === 'sum' && c.measurement === undefined) {
    ctx.addIssue({ code: 'custom', path: ['agg'], message: 'sum needs a measurement' });
  }
  checkSlide(c, ctx);
  checkClear(ctx, 'clear_below', c.clear_below, 'above', c.above, 'le');
});

export type RateConfig = z.output<typeof rateSchema>;

export const rate: DetectorFactory<RateConfig> = {
  type: 'rate',
  description: 'Fires when the count or sum of events in a sliding window exceeds a limit.',
  schema: rateSchema,
  create: (c) => new RateDetector(c),
};
