import { z } from 'zod';
import { defineDetectorSchema } from '../common';
import { duration } from '../../kernel/duration';
import { fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { ForecastDetector } from './forecast';

export const forecastSchema = defineDetectorSchema('forecast', {
  /** Measurement to forecast, as named in the stream mapping (a derived one works too). */
  measurement: fieldName,
  /**
   * level: forecast the measurement against `limit`. exposure: accumulate ∫ max(0, x − base) dt
   * (value·minutes: degree-minutes, person-minutes) and forecast it against the budget `limit`.
   * total: accumulate Σ x (amounts) and forecast it at the recent pace against the budget `limit`.
   */
  mode: z.enum(['level', 'exposure', 'total']).default('level'),
  /** The limit (level mode) or the budget (exposure, total). */
  limit: z.number(),
  /** Which side of the limit is the breach. exposure and total accumulate upwards: above only. */
  side: z.enum(['above', 'below']).default('above'),
  /** How far ahead to warn. Default 30m. */
  horizon: duration({ min: 60_000, max: 7 * 86_400_000 }).default(1_800_000),
  /** Coverage of the prediction interval; the warning fires when its near edge crosses the limit within the horizon. Default 0.8. */
  interval: z.number().gt(0).lt(1).default(0.8),
  /** Half-life of the weights of past values in the trend (and pace) estimate. Default horizon/6. */
  halflife: duration({ min: 1000 }).optional(),
  /** Half-life of the trend in the forecast (damped trend); 0 = the trend goes on undamped. Default 0. */
  damping: duration().default(0),
  /** Values learned before the first verdict. Default 20 (total mode: 5 amounts). */
  warmup: z.number().int().min(3).optional(),
  /** Noise floor of the measurement in its own units (0.1 °C, 1 person). Default: float noise only. */
  min_std: z.number().min(0).default(0),
  /** Once warning, keep warning while the near bound crosses within this (≥ horizon, ≤ 2·horizon). Default: 1.5·horizon. */
  clear_horizon: duration().optional(),
  /** exposure: the level above (side below: below) which exposure accumulates. */
  base: z.number().optional(),
  /** exposure, total: the budget resets at every multiple of this (UTC-aligned, e.g. 1d). Default: never. */
  period: duration({ min: 60_000 }).optional(),
}).superRefine((c, ctx) => {
  if (c.mode === 'exposure' && c.base === undefined)
    ctx.addIssue({ code: 'custom', path: ['base'], message: 'exposure mode needs base (the level above which exposure accumulates)' });
  if (c.mode !== 'exposure' && c.base !== undefined) ctx.addIssue({ code: 'custom', path: ['base'], message: 'only for mode exposure' });
  if (c.mode === 'level' && c.period !== undefined)
    ctx.addIssue({ code: 'custom', path: ['period'], message: 'only for modes exposure and total' });
  if (c.mode !== 'level' && c.side === 'below')
    ctx.addIssue({ code: 'custom', path: ['side'], message: `mode ${c.mode} accumulates upwards: side must be above` });
  if (c.clear_horizon !== undefined && (c.clear_horizon < c.horizon || c.clear_horizon > 2 * c.horizon)) {
    ctx.addIssue({ code: 'custom', path: ['clear_horizon'], message: `must be between horizon and twice the horizon` });
  }
});

export type ForecastConfig = z.output<typeof forecastSchema>;

export const forecast: DetectorFactory<ForecastConfig> = {
  type: 'forecast',
  description:
    'Early warning: forecasts a measurement (level + trend, or an accumulated exposure/budget) and fires before it crosses a limit, with the time left.',
  schema: forecastSchema,
  create: (c) => new ForecastDetector(c),
};
