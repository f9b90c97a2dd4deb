import { z } from 'zod';
import { FlowwatchError } from '../kernel/errors';
import type { Detector, DetectorContext, DetectorFactory } from './types';
import { threshold, thresholdSchema } from './threshold';
import { rate, rateSchema } from './rate';
import { zscore, zscoreSchema } from './zscore';
import { ewma, ewmaSchema } from './ewma';
import { deadman, deadmanSchema } from './deadman';
import { distinct, distinctSchema } from './distinct';
import { expression, expressionSchema } from './expression';
import { univariate, univariateSchema } from './univariate';
import { forecast, forecastSchema } from './forecast';

/** Every detector type: one folder, one line here, one schema in the union below. */
export const detectorFactories: DetectorFactory[] = [threshold, rate, zscore, ewma, deadman, distinct, expression, univariate, forecast];

/** Schema of one entry of a stream's `detectors` list. */
export const detectorSchema = z.discriminatedUnion('type', [
  thresholdSchema,
  rateSchema,
  zscoreSchema,
  ewmaSchema,
  deadmanSchema,
  distinctSchema,
  expressionSchema,
  univariateSchema,
  forecastSchema,
]);

export type DetectorConfig = z.output<typeof detectorSchema>;

const byType = new Map(detectorFactories.map((f) => [f.type, f]));

/** Builds the detector for a parsed config entry. Expression detectors may throw FW_EXPRESSION_* errors. */
export function createDetector(config: DetectorConfig, ctx: DetectorContext): Detector<unknown> {
  const factory = byType.get(config.type);
  if (!factory)
    throw new FlowwatchError('FW_CONFIG_INVALID', `unknown detector type "${config.type}"; known: ${[...byType.keys()].join(', ')}`);
  return factory.create(config, ctx);
}
