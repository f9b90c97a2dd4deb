import { FlowwatchError, isFlowwatchError } from '../../kernel/errors';
import { CompiledExpression, compileRestricted } from '../../expression/expression';

export interface ExpressionSource {
  expression: string;
  score?: string;
  /** Names the expressions may use; else the stream's measurements; else any name (inferred). */
  measurements?: readonly string[];
}

export interface CompiledDetectorExpressions {
  condition: CompiledExpression;
  score: CompiledExpression | null;
  /** Measurements both expressions read (the pane window tracks exactly these). */
  measurements: string[];
}

/**
 * Compiles the detector's condition and optional score. Throws FlowwatchError
 * (FW_EXPRESSION_FORBIDDEN / FW_EXPRESSION_INVALID) with details.field naming the config field.
 */
export function compileDetectorExpressions(src: ExpressionSource, streamMeasurements?: readonly string[]): CompiledDetectorExpressions {
  const names = src.measurements ?? streamMeasurements;
  const opts = { symbols: names ? (n: string) => names.includes(n) : () => true, aggregates: true, knownNames: names };
  const condition = compileField('expression', src.expression, opts);
  if (!condition.isCondition) {
    throw new FlowwatchError(
      'FW_EXPRESSION_INVALID',
      `must be a condition (a comparison or and/or/not), e.g. "count > 10"; got "${src.expression}"`,
      { details: { field: 'expression', expression: src.expression } },
    );
  }
  const score = src.score === undefined ? null : compileField('score', src.score, opts);
  const measurements = [...condition.measurements];
  for (const m of score?.measurements ?? []) if (!measurements.includes(m)) measurements.push(m);
  return { condition, score, measurements };
}

function compileField(field: string, text: string, opts: Parameters<typeof compileRestricted>[1]): CompiledExpression {
  try {
    return compileRestricted(text, opts);
  } catch (err) {
    if (!isFlowwatchError(err)) throw err;
    throw new FlowwatchError(err.code, err.message, { cause: err, details: { ...err.details, field } });
  }
}
