import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { defineDetectorSchema } from '../common';
import { checkClear, checkSlide, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { DistinctDetector } from './distinct';

export const distinctSchema = defineDetectorSchema('distinct', {
  /** String attribute whose distinct values are counted (e.g. counterparty). */
  attribute: fieldName,
  /** Sliding window length. Default 1h. */
  window: duration({ min: 1 }).default(3_600_000),
  /** Pane length; must divide the window. Default window/6 (10m for 1h): each pane costs 128 registers in HLL mode. */
  slide: duration({ min: 1 }).optional(),
  /** Fire when the distinct count is > above. */
  above: z.number(),
  /** Once firing, stay firing until the distinct count is ≤ clear_below. Default: above. Must be ≤ above. */
  clear_below: z.number().optional(),
}).superRefine((c, ctx) => {
  checkSlide(c, ctx);
  checkClear(ctx, 'clear_below', c.clear_below, 'above', c.above, 'le');
});

export type DistinctConfig = z.output<typeof distinctSchema>;

export const distinct: DetectorFactory<DistinctConfig> = {
  type: 'distinct',
  description: 'Fires when the number of distinct values of an attribute in a sliding window exceeds a limit.',
  schema: distinctSchema,
  create: (c) => new DistinctDetector(c),
};
