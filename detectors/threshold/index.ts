import { z } from 'zod';
import { defineDetectorSchema } from '../common';
import { checkClear, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { ThresholdDetector } from './threshold';

export const thresholdSchema = defineDetectorSchema('threshold', {
  /** Measurement to compare, as named in the stream mapping. */
  measurement: fieldName,
  /** Fire when the value is > above. At least one of above/below is required. */
  above: z.number().optional(),
  /** Fire when the value is < below. */
  below: z.number().optional(),
  /** Once firing above, stay firing until the value is ≤ clear_above. Default: above. Must be ≤ above. */
  clear_above: z.number().optional(),
  /** Once firing below, stay firing until the value is ≥ clear_below. Default: below. Must be ≥ below. */
  clear_below: z.number().optional(),
}).superRefine((c, ctx) => {
  if (c.above === undefined && c.below === undefined) {
    ctx.addIssue({ code: 'custom', path: ['above'], message: 'set above, below or both' });
  }
  if (c.above !== undefined && c.below !== undefined && c.below >= c.above) {
    ctx.addIssue({ code: 'custom', path: ['below'], message: `must be < above (${c.above})` });
  }
  checkClear(ctx, 'clear_above', c.clear_above, 'above', c.above, 'le');
  checkClear(ctx, 'clear_below', c.clear_below, 'below', c.below, 'ge');
});

export type ThresholdConfig = z.output<typeof thresholdSchema>;

export const threshold: DetectorFactory<ThresholdConfig> = {
  type: 'threshold',
  description: 'Fires when a measurement is above/below a fixed bound, with optional hysteresis.',
  schema: thresholdSchema,
  create: (c) => new ThresholdDetector(c),
};
