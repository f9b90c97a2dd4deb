import { RE2JS } from 're2js';

/**
 * Label matchers as Alertmanager writes them: `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"`. Quotes are optional for plain values (`severity=critical`). Regexes are
 * anchored (the whole value must match), so `stream=~"peo"` does not match "people".
 *
 * Regexes have RE2 syntax and run on an RE2 engine (re2js), as in Alertmanager and Prometheus:
 * matching is linear in the value's length. A backtracking engine (`new RegExp`) froze the
 * event loop on `team=~"(a+)+$"` against a label value of many 'a's from input data (issue 14):
 * /healthz timed out for 20 s and SIGTERM took 112 s. RE2 refuses what cannot run in linear
 * time (backreferences, lookarounds) at parse time, so a bad silence is rejected when it is made.
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

/** Longest regex a matcher may hold. The engine is linear in the value, but its program grows with
 *  the pattern (and compiling counted repeats multiplies it), so a pattern from the API is bounded.
 *  Real routing and silence regexes are a few dozen characters; 1 KiB leaves room for long lists of
 *  alternatives. */
export const MAX_REGEX_LENGTH = 1024;
/** Longest matcher text parsed at all: MATCHER_RE below is a JS regex over untrusted text (API
 *  silences), and its `\s*(.*?)\s*$` is quadratic in runs of whitespace, so bound the input first. */
const MAX_MATCHER_TEXT = 4 * MAX_REGEX_LENGTH;

const MATCHER_RE = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

export function parseMatcher(text: string): Matcher {
  if (typeof text !== 'string') throw new MatcherError(`expected a matcher string like 'severity="critical"', got ${JSON.stringify(text)}`);
  if (text.length > MAX_MATCHER_TEXT) {
    throw new MatcherError(
      `bad matcher ${JSON.stringify(text.slice(0, 40) + '…')}: ${text.length} characters, at most ${MAX_MATCHER_TEXT} allowed`,
    );
  }
  const m = MATCHER_RE.exec(text);
  if (!m)
    throw new MatcherError(`bad matcher ${JSON.stringify(text)}: expected label="value", label!="value", label=~"regex" or label!~"regex"`);
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
    const re = compileAnchored(value, text);
    test = op === '=~' ? (v) => re.matches(v) : (v) => !re.matches(v);
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

/**
 * Compiles a matcher's regex for whole-value matching. `RE2JS.matches` is a full match, the same
 * anchoring as Alertmanager's `^(?:regex)$`, without splicing the pattern into another pattern
 * (where `a)|(b` would change the meaning).
 */
function compileAnchored(pattern: string, text: string): RE2JS {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new MatcherError(
      `bad matcher ${JSON.stringify(text.slice(0, 60) + '…')}: regex is ${pattern.length} characters, at most ${MAX_REGEX_LENGTH} allowed`,
    );
  }
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    // re2js says e.g. "invalid escape sequence: `\1`" for a backreference and
    // "invalid or unsupported Perl syntax: `(?=`" for a lookahead.
    throw new MatcherError(
      `bad matcher ${JSON.stringify(text)}: invalid regex (RE2 syntax: no backreferences or lookarounds): ${(err as Error).message}`,
    );
  }
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
