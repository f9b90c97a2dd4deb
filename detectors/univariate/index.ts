import { z } from 'zod';
import { defineDetectorSchema } from '../common';
import { direction, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { UnivariateDetector } from './univariate';

/**
 * Surprise limit (decades of tail probability) of the default profile: 2.35, chosen by
 * leave-one-source-out on the real-background corpus among limits that keep the generator's tuning
 * seeds ≥ 76 (2.5 before; docs/backtest.md).
 */
export const DEFAULT_THRESHOLD = 2.35;

export const univariateSchema = defineDetectorSchema('univariate', {
  /** Measurement to judge, as named in the stream mapping. Default "value" (the backtest's CSV column). */
  measurement: fieldName.default('value'),
  /**
   * Surprise at which an episode fires, in decades: −log10 of the calibrated tail probability.
   * Higher = fewer, surer alerts. The score is 0.5 exactly at this limit. Default 2.35 (chosen on the real-background and generator corpora, docs/backtest.md).
   */
  threshold: z.number().positive().max(50).default(DEFAULT_THRESHOLD),
  /** both: any change; up: only rises (spikes, upward shifts); down: only falls. Variance changes and flatlines count in every direction. */
  direction: direction.default('both'),
  /** Values to learn from before the first verdict (no opinion meanwhile). Default 150. */
  warmup: z.number().int().min(20).default(150),
  /** auto: daily and weekly profiles learned from the data and used when they help; none/daily/weekly force it. */
  seasonality: z.enum(['auto', 'none', 'daily', 'weekly']).default('auto'),
  /** Consecutive quiet values (surprise below the episode level, 1.2 decades) that end a firing alert. Default 8. */
  hold: z.number().int().min(1).default(8),
});

export type UnivariateConfig = z.output<typeof univariateSchema>;

export const univariate: DetectorFactory<UnivariateConfig> = {
  type: 'univariate',
  description:
    'Default profile for any numeric series: seasonality, spikes, shifts, drifts, variance changes and flatlines, calibrated per series (no tuning).',
  schema: univariateSchema,
  create: (c) => new UnivariateDetector(c),
};
