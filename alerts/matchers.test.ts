import { matcherProblem, matchesAll, parseMatcher, parseMatchers } from './matchers';

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
});
