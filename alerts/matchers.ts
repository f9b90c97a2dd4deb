/**
 * Label matchers as Alertmanager writes them: `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"`. Quotes are optional for plain values (`severity=critical`). Regexes are
 * anchored (the whole value must match), so `stream=~"peo"` does not match "people".
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
  /** The matcher as text, round-trippable through parseMatcher. */
  toString(): string;
}

export class MatcherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherError';
  }
}

const MATCHER_RE = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

export function parseMatcher(text: string): Matcher {
  if (typeof text !== 'string') throw new MatcherError(`expected a matcher string like 'severity="critical"', got ${JSON.stringify(text)}`);
  const m = MATCHER_RE.exec(text);
  if (!m) throw new MatcherError(`bad matcher ${JSON.stringify(text)}: expected label="value", label!="value", label=~"regex" or label!~"regex"`);
  const [, name, op, rawValue] = m as unknown as [string, string, MatchOp, string];
  let value = rawValue;
  if (!value.startsWith('"') && (/^[=~]/.test(value) || /[\s"']/.test(value))) {
    throw new MatcherError(`bad matcher ${JSON.stringify(text)}: quote the value (label="value"), and write = or =~, not == or ~=`);
  }
  if (value.startsWith('"')) {
    if (value.length < 2 || !value.endsWith('"')) throw new MatcherError(`bad matcher ${JSON.stringify(text)}: unterminated quoted value`);
    try {
      value = JSON.parse(value) as string;
    } catch {
      throw new MatcherError(`bad matcher ${JSON.stringify(text)}: bad escape in quoted value`);
    }
  }
  return makeMatcher(name, op, value, text);
}

function makeMatcher(name: string, op: MatchOp, value: string, text: string): Matcher {
  let test: (v: string) => boolean;
  if (op === '=~' || op === '!~') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${value})$`);
    } catch (err) {
      throw new MatcherError(`bad matcher ${JSON.stringify(text)}: invalid regex: ${(err as Error).message}`);
    }
    test = op === '=~' ? (v) => re.test(v) : (v) => !re.test(v);
  } else {
    test = op === '=' ? (v) => v === value : (v) => v !== value;
  }
  // A missing label matches as the empty string, as in Prometheus: `team!="fraud"` matches alerts without a team.
  return {
    name,
    op,
    value,
    matches: (labels) => test(labels[name] ?? ''),
    toString: () => `${name}${op}${JSON.stringify(value)}`,
  };
}

export function parseMatchers(texts: readonly string[]): Matcher[] {
  return texts.map(parseMatcher);
}

/** All matchers hold (an empty list matches everything). */
export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!m.matches(labels)) return false;
  return true;
}

/** Validation helper for config and API: the problem with a matcher text, or null. */
export function matcherProblem(text: unknown): string | null {
  try {
    parseMatcher(text as string);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
