import { MAX_REGEX_LENGTH, matcherProblem, matchesAll, parseMatcher, parseMatchers } from './matchers';

describe('label matchers', () => {
  const labels = { stream: 'people', severity: 'critical', key: 'gate-3' };

  it.each([
    ['severity="critical"', true],
    ['severity=critical', true],
    ['severity!="critical"', false],
    ['stream=~"peo.*"', true],
    ['stream=~"peo"', false], // anchored: the whole value must match
    ['stream!~"goods|funds"', true],
    ['team=""', true], // a missing label is the empty string
    ['team!="fraud"', true],
    ['key=~"gate-[0-9]+"', true],
  ])('%s → %s', (text, expected) => {
    expect(parseMatcher(text).matches(labels)).toBe(expected);
  });

  it('all must hold; none means everything', () => {
    expect(matchesAll(parseMatchers(['stream="people"', 'severity=~"crit.*"']), labels)).toBe(true);
    expect(matchesAll(parseMatchers(['stream="people"', 'severity="warning"']), labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });

  it('quoted values may hold operators and escapes', () => {
    const m = parseMatcher('summary="a=b \\"c\\""');
    expect(m.value).toBe('a=b "c"');
    expect(parseMatcher(m.toString()).value).toBe('a=b "c"');
  });

  it('says clearly what is wrong with a bad matcher', () => {
    expect(matcherProblem('severity')).toMatch(/bad matcher "severity": expected label="value"/);
    expect(matcherProblem('stream=~"(unclosed"')).toMatch(/invalid regex/);
    expect(matcherProblem('x="open')).toMatch(/unterminated/);
    expect(matcherProblem('1abc="x"')).toMatch(/bad matcher/);
    expect(matcherProblem(42)).toMatch(/expected a matcher string/);
    expect(matcherProblem('severity == "critical"')).toMatch(/not ==/);
    expect(matcherProblem('key=gate 3')).toMatch(/quote the value/);
    expect(matcherProblem('severity="critical"')).toBeNull();
  });

  it('matches in linear time: a pattern that backtracks catastrophically in JS still answers', () => {
    // Issue 14: with `new RegExp` this call did not return for minutes (2^n backtracking paths).
    // A CPU-bound unit test asserts the result; the drill suite checks /healthz answers while it runs.
    const value = 'a'.repeat(10_000) + '!';
    expect(parseMatcher('team=~"(a+)+$"').matches({ team: value })).toBe(false);
    expect(parseMatcher('team!~"(a+)+$"').matches({ team: value })).toBe(true);
    expect(parseMatcher('team=~"(a+)+!"').matches({ team: value })).toBe(true);
    expect(parseMatcher('team=~"(a|aa)+"').matches({ team: 'a'.repeat(10_000) })).toBe(true);
  });

  it('anchors the whole pattern, and a pattern cannot close the anchoring group', () => {
    expect(parseMatcher('team=~"a|b"').matches({ team: 'ab' })).toBe(false);
    expect(parseMatcher('team=~"a|b"').matches({ team: 'b' })).toBe(true);
    // Spliced into `^(?:...)$` this would read `^(?:a)|(b)$` and match "xxb"; compiled alone it is unbalanced.
    expect(matcherProblem('team=~"a)|(b"')).toMatch(/invalid regex.*unexpected \)/);
  });

  it('refuses what RE2 cannot run in linear time, naming the matcher', () => {
    expect(matcherProblem('team=~"(a)\\\\1"')).toMatch(/bad matcher "team=~.*invalid regex \(RE2 syntax.*invalid escape sequence/);
    expect(matcherProblem('team=~"(?=a)a"')).toMatch(/bad matcher "team=~.*invalid regex.*unsupported Perl syntax/);
    expect(matcherProblem('team=~"(?<=a)b"')).toMatch(/invalid regex/);
  });

  it('bounds the pattern length with a clear error', () => {
    const long = 'x'.repeat(MAX_REGEX_LENGTH + 1);
    expect(matcherProblem(`team=~"${long}"`)).toMatch(
      new RegExp(`bad matcher "team=~.*regex is ${MAX_REGEX_LENGTH + 1} characters, at most ${MAX_REGEX_LENGTH} allowed`),
    );
    expect(matcherProblem(`team=~"${'x'.repeat(MAX_REGEX_LENGTH)}"`)).toBeNull();
    // A plain value may be longer than a regex; only the whole text is bounded.
    expect(matcherProblem(`team="${long}"`)).toBeNull();
    expect(matcherProblem(`team="${'x'.repeat(100_000)}"`)).toMatch(/characters, at most \d+ allowed/);
  });
});
