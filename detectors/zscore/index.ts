import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { defineDetectorSchema } from '../common';
import { checkClear, checkSlide, direction, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { ZscoreDetector } from './zscore';

export const zscoreSchema = defineDetectorSchema('zscore', {
  /** Measurement to judge, as named in the stream mapping. */
  measurement: fieldName,
  /** Rolling window for mean and std (event time). Default 1h. */
  window: duration({ min: 1 }).default(3_600_000),
  /** Pane length; the baseline moves in steps of `slide`. Must divide the window. Default window/10. */
  slide: duration({ min: 1 }).optional(),
  /** Fire when |z| (or z, −z with direction) is > k. Default 3. */
  k: z.number().positive().default(3),
  /** Samples the window needs before judging (warm-up: no opinion). Default 10. */
  min_samples: z.number().int().min(2).default(10),
  /** both: |z|; up: only values above the mean; down: only below. Default both. */
  direction: direction.default('both'),
  /** Once firing, stay firing until the deviation is ≤ clear_k. Default 0.75·k. Must be ≤ k. */
  clear_k: z.number().min(0).optional(),
  /** Smallest std used, in the measurement's units (a flat series otherwise gives huge z). Default: only a float-noise floor, 1e-9·max(1, |mean|). */
  min_std: z.number().min(0).optional(),
}).superRefine((c, ctx) => {
  checkSlide(c, ctx);
  checkClear(ctx, 'clear_k', c.clear_k, 'k', c.k, 'le');
});

export type ZscoreConfig = z.output<typeof zscoreSchema>;

export const zscore: DetectorFactory<ZscoreConfig> = {
  type: 'zscore',
  description: 'Fires when a value is more than k standard deviations from the rolling window mean.',
  schema: zscoreSchema,
  create: (c) => new ZscoreDetector(c),
};
