import { z } from 'zod';
import { duration } from '../../kernel/duration';
import { isFlowwatchError } from '../../kernel/errors';
import { defineDetectorSchema } from '../common';
import { checkSlide, fieldName } from '../params';
import type { DetectorFactory } from '../types';
import { compileDetectorExpressions } from './compile';
import { ExpressionDetector } from './expression';

export const expressionSchema = defineDetectorSchema('expression', {
  /**
   * Condition over window aggregates — count, count(x), sum(x), mean(x), min(x), max(x), std(x),
   * last(x) — and current values, e.g. "sum(amount) > 50000 and count >= 3". Fires while it holds.
   */
  expression: z.string().min(1),
  /** Sliding window the aggregates cover. Default 5m. */
  window: duration({ min: 1 }).default(300_000),
  /** Pane length; must divide the window. Default window/10. */
  slide: duration({ min: 1 }).optional(),
  /** Names the expressions may use. Default: the stream's measurements (names are inferred from the expressions). */
  measurements: z.array(fieldName).min(1).optional(),
  /** Numeric expression for the score, clamped to [0,1], e.g. "min(1, sum(amount) / 100000)". Default: 0.9 while the condition holds, else 0.1. */
  score: z.string().min(1).optional(),
}).superRefine((c, ctx) => {
  checkSlide(c, ctx);
  try {
    compileDetectorExpressions(c);
  } catch (err) {
    if (!isFlowwatchError(err)) throw err;
    ctx.addIssue({ code: 'custom', path: [String(err.details?.field ?? 'expression')], message: err.message, params: { code: err.code } });
  }
});

export type ExpressionConfig = z.output<typeof expressionSchema>;

export const expression: DetectorFactory<ExpressionConfig> = {
  type: 'expression',
  description: 'Fires while a restricted math condition over window aggregates holds, e.g. "sum(amount) > 50000 and count >= 3".',
  schema: expressionSchema,
  create: (c, ctx) => new ExpressionDetector(c, ctx.measurements),
};
