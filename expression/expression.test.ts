import { all, create } from 'mathjs';
import { FlowwatchError } from '../kernel/errors';
import { compileRestricted, type CompileOptions } from './expression';

const known = new Set(['amount', 'fee', 'temp', 'x', 'y']);
const perEvent: CompileOptions = { symbols: (n) => known.has(n), knownNames: [...known] };
const windowed: CompileOptions = { ...perEvent, aggregates: true };
const calc = (text: string, values: Record<string, number> = {}) => compileRestricted(text, perEvent).evaluate(values);

/** The FlowwatchError a compile throws, as { code, message }. */
function rejection(text: string, opts: CompileOptions = windowed): { code: string; message: string } {
  try {
    compileRestricted(text, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowwatchError);
    const e = err as FlowwatchError;
    return { code: e.code, message: e.message };
  }
  throw new Error(`"${text}" compiled but should not`);
}

describe('compileRestricted: evaluation', () => {
  it('does arithmetic with mathjs precedence', () => {
    expect(calc('2 + 3 * 4 ^ 2')).toBe(50); // 4^2 = 16, ×3 = 48, +2
    expect(calc('-2 ^ 2')).toBe(-4); // −(2²), as mathjs
    expect(calc('2 ^ 3 ^ 2')).toBe(512); // right-associative: 2^9
    expect(calc('(1 + 2) * 3')).toBe(9);
    expect(calc('7 / 2')).toBe(3.5);
    expect(calc('2 x', { x: 4 })).toBe(8); // implicit multiplication
  });

  it('uses mathjs mod: sign of the divisor, x % 0 = x', () => {
    expect(calc('-7 % 3')).toBe(2); // −7 − 3·floor(−7/3) = −7 + 9
    expect(calc('7 mod -3')).toBe(-2); // 7 − (−3)·floor(−2.33) = 7 − 9
    expect(calc('7 % 0')).toBe(7);
  });

  it('compares with mathjs tolerance and returns truth as 1/0', () => {
    expect(calc('0.1 + 0.2 == 0.3')).toBe(1); // plain JS says false; mathjs relTol 1e-12 says true
    expect(calc('1 < 1 + 1e-13')).toBe(0); // nearly equal → not smaller
    expect(calc('1 <= 1 + 1e-13')).toBe(1);
    expect(calc('3 != 3')).toBe(0);
    expect(calc('1 < x < 3', { x: 2 })).toBe(1); // chained comparison
    expect(calc('1 < x < 3', { x: 3 })).toBe(0);
  });

  it('does logic with mathjs truthiness (0 and NaN are false)', () => {
    expect(calc('1 and 0')).toBe(0);
    expect(calc('1 or 0')).toBe(1);
    expect(calc('1 xor 1')).toBe(0);
    expect(calc('not 0')).toBe(1);
    expect(calc('true + 1')).toBe(2);
    expect(calc('x > 1 ? 10 : 20', { x: 2 })).toBe(10);
    expect(calc('x and 1', {})).toBe(0); // missing name → NaN → false
    expect(calc('not x', {})).toBe(1);
  });

  it('evaluates the allowed functions as mathjs does for real results', () => {
    expect(calc('abs(-2) + sqrt(16) + log10(1000) + exp(0) + sign(-3)')).toBe(2 + 4 + 3 + 1 - 1);
    expect(calc('log(8, 2)')).toBeCloseTo(3, 14);
    expect(calc('log(e)')).toBe(1);
    expect(calc('pow(2, 10)')).toBe(1024);
    expect(calc('min(3, 1, 2) + max(3, 1, 2)')).toBe(4);
    expect([calc('round(2.5)'), calc('round(-2.5)'), calc('round(1.005, 2)')]).toEqual([3, -3, 1.01]); // half away from zero
    expect([calc('floor(1.25, 1)'), calc('ceil(-1.5)')]).toEqual([1.2, -1]);
    expect(calc('round(1, 99)')).toBeNaN(); // mathjs would throw: bad digit count
    expect(calc('sqrt(-1)')).toBeNaN(); // mathjs: complex i
  });

  it('reads names from the values record, NaN when absent (even for inherited names)', () => {
    expect(calc('amount - fee', { amount: 100, fee: 2.5 })).toBe(97.5);
    expect(calc('amount', {})).toBeNaN();
    const c = compileRestricted('constructor + 1', { symbols: () => true });
    expect(c.evaluate({})).toBeNaN();
  });

  it('matches mathjs evaluate on random inputs', () => {
    const m = create(all);
    const exprs = [
      'x * y - 3 / (x + 0.5)',
      'x % y',
      'x ^ 2 + y ^ 2 >= 10',
      'abs(x - y) < 2 and not (x == y)',
      'x > y ? x : y',
      'round(x * 10) / 10 + floor(y) - ceil(x)',
      'min(x, y, 1) + max(x, -y)',
      'x xor y > 0',
      '1 <= x < 3',
      'exp(y / 10) + sign(x)',
      'sqrt(abs(x)) + log10(abs(y) + 1)',
      'pow(abs(x), 1.5)',
      'x != y or x == 0',
    ];
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 10 - 5; // deterministic, −5..5
    for (const text of exprs) {
      const c = compileRestricted(text, perEvent);
      for (let i = 0; i < 50; i++) {
        const scope = { x: Math.round(rnd() * 4) / 4, y: Math.round(rnd() * 4) / 4 };
        const expected = m.evaluate(text, { ...scope });
        const want = typeof expected === 'boolean' ? (expected ? 1 : 0) : (expected as number);
        const got = c.evaluate(scope);
        if (Number.isNaN(want)) expect(got).toBeNaN();
        else expect(got).toBeCloseTo(want, 12);
      }
    }
  });
});

describe('compileRestricted: metadata', () => {
  it('lists aggregates, bare symbols and measurements; knows conditions', () => {
    const c = compileRestricted('sum(amount) > 50000 and count >= 3', windowed);
    expect(c.aggregates).toEqual([
      { kind: 'sum', measurement: 'amount', label: 'sum(amount)' },
      { kind: 'count', measurement: null, label: 'count' },
    ]);
    expect(c.measurements).toEqual(['amount']);
    expect(c.symbols).toEqual([]);
    expect(c.isCondition).toBe(true);
    // aggregates are read by index: sum(amount) = 51234 (20000 + 30000 + 1234), count = 4
    expect(c.evaluate({}, [51234, 4])).toBe(1);
    expect(c.evaluate({}, [51234, 2])).toBe(0); // count 2 < 3
    expect(c.evaluate({}, [50000, 4])).toBe(0); // not > 50000
  });

  it('de-duplicates aggregates, tells min(x) the aggregate from min(a, b) the function', () => {
    const c = compileRestricted('max(temp) - min(temp) > 5 and min(x, 2) < mean(temp) and count() == count and count(x) > 0', windowed);
    expect(c.aggregates.map((a) => a.label)).toEqual(['max(temp)', 'min(temp)', 'mean(temp)', 'count', 'count(x)']);
    expect(c.symbols).toEqual(['x']);
    expect(c.measurements).toEqual(['temp', 'x']);
  });

  it('knows numeric expressions are not conditions', () => {
    expect(compileRestricted('amount / 1000', perEvent).isCondition).toBe(false);
    expect(compileRestricted('(x > 1)', perEvent).isCondition).toBe(true);
    expect(compileRestricted('x > 1 ? true : y < 2', perEvent).isCondition).toBe(true);
    expect(compileRestricted('x > 1 ? 1 : 0', perEvent).isCondition).toBe(false);
  });
});

describe('compileRestricted: rejections', () => {
  const ALLOWED = 'allowed: abs, sqrt, log, log10, exp, pow, min, max, round, floor, ceil, sign';

  it.each([
    ['import({}, {})', 'import'],
    ['createUnit("foo")', 'createUnit'],
    ['evaluate("1+1")', 'evaluate'],
    ['parse("1")', 'parse'],
    ['compile("1")', 'compile'],
    ['simplify("x")', 'simplify'],
    ['derivative("x^2", "x")', 'derivative'],
    ['resolve("x")', 'resolve'],
    ['chain(1)', 'chain'],
    ['config({})', 'config'],
    ['typed("f", {})', 'typed'],
    ['reviver()', 'reviver'],
  ])('forbids %s', (text, name) => {
    const r = rejection(text);
    expect(r.code).toBe('FW_EXPRESSION_FORBIDDEN');
    expect(r.message).toContain(`function "${name}" is not allowed in expressions; ${ALLOWED}`);
  });

  it('forbids unknown functions and says what is allowed', () => {
    expect(rejection('foo(1)')).toEqual({
      code: 'FW_EXPRESSION_FORBIDDEN',
      message: `function "foo" is not allowed in expressions; ${ALLOWED}; window aggregates: count, sum(x), mean(x), min(x), max(x), std(x), last(x)`,
    });
    expect(rejection('sum(amount) > 1', perEvent).message).toMatch(
      /function "sum" is not allowed in expressions \(window aggregates exist only in detector expressions\)/,
    );
  });

  it.each([
    ['a = 1', /assignment "a = 1" is not allowed/],
    ['f(x) = x', /function definition "f\(x\) = x" is not allowed/],
    ['a.b', /property\/index access "a.b" is not allowed/],
    ['x[1]', /property\/index access "x\[1\]" is not allowed/],
    ['[1, 2]', /array\/matrix "\[1, 2\]" is not allowed/],
    ['{a: 1}', /object literal .* is not allowed/],
    ['1:3', /range "1:3" is not allowed/],
    ['x; y', /multiple statements .* is not allowed/],
    ['x.toString()', /calling "x.toString" is not allowed/],
    ['2 cm to inch', /operator "to" is not allowed/],
    ['x!', /operator "!" is not allowed/],
    ['x & y', /operator "&" is not allowed/],
    ['import', /"import" is not allowed/],
  ])('forbids %s', (text, message) => {
    const r = rejection(text);
    expect(r.code).toBe('FW_EXPRESSION_FORBIDDEN');
    expect(r.message).toMatch(message);
  });

  it.each([
    ['amout > 1', 'unknown name "amout"; known: amount, fee, temp, x, y'],
    ['sum(amout) > 1', 'unknown measurement "amout" in sum(amout); known: amount, fee, temp, x, y'],
    ['sum(amount * 2) > 1', 'argument of sum() must be one measurement name, got "amount * 2"'],
    ['std() > 1', 'argument of std() must be one measurement name, got ""'],
    ['sqrt(1, 2)', 'function "sqrt" takes 1 argument, got 2'],
    ['pow(2)', 'function "pow" takes 2 arguments, got 1'],
    ['"abc" == x', 'constant "abc" is not allowed: only numbers and true/false'],
    ['sum > 1', '"sum" is a function: call it, e.g. sum(x)'],
    ['', 'expression is empty'],
  ])('rejects %s as invalid', (text, message) => {
    expect(rejection(text)).toEqual({ code: 'FW_EXPRESSION_INVALID', message });
  });

  it('reports syntax errors with the position', () => {
    const r = rejection('sum(amount) >');
    expect(r.code).toBe('FW_EXPRESSION_INVALID');
    expect(r.message).toMatch(/^syntax error in "sum\(amount\) >": Unexpected end of expression \(char \d+\)/);
  });
});
