/** One error class with a code and a cause, as in @platformatic/kafka. */
export const ERROR_CODES = [
  'FW_CONFIG_INVALID',
  'FW_CONFIG_READ',
  'FW_CONFIG_PARSE',
  'FW_EXPRESSION_FORBIDDEN',
  'FW_EXPRESSION_INVALID',
  'FW_DECODE',
  'FW_STATE',
  /** The state store's epoch is not the one this worker loaded: Redis was wiped or replaced. */
  'FW_STORE_EPOCH_CHANGED',
  'FW_SINK',
  'FW_NOTIFY',
  'FW_SOURCE',
  'FW_USAGE',
  'FW_INPUT',
  'FW_DEAD_LETTER',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class FlowwatchError extends Error {
  readonly code: ErrorCode;
  /** Extra context for logs (never secrets). */
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlowwatchError';
    this.code = code;
    this.details = options?.details;
  }
}

/** Many problems at once (e.g. every invalid config path), each one line. */
export class ConfigError extends FlowwatchError {
  readonly problems: string[];
  constructor(problems: string[], file?: string) {
    super(
      'FW_CONFIG_INVALID',
      `${file ? file + ': ' : ''}invalid config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => '  ' + p).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isFlowwatchError(e: unknown): e is FlowwatchError {
  return e instanceof FlowwatchError;
}
