import { ceilDependencies, create, floorDependencies, parseDependencies, roundDependencies } from 'mathjs';
import { FlowwatchError } from '../kernel/errors';

/**
 * Restricted expressions from config: detector conditions ("sum(amount) > 50000 and count >= 3")
 * and derived measurements in stream mappings ("weight_kg / 1000").
 *
 * mathjs only PARSES (once, at load). The AST is checked against an allowlist — numbers, names,
 * parentheses, arithmetic/comparison/logical operators, a ? b : c, and a few numeric functions —
 * and translated into a tree of plain JS closures. Nothing is ever passed to mathjs evaluate(), so
 * import/createUnit/evaluate/... cannot run even if a check were missed: the closure tree can only
 * do what this file implements. Values are numbers; booleans are 1/0.
 *
 * Numeric semantics follow mathjs with its default config: comparisons use mathjs's nearlyEqual
 * (relTol 1e-12, absTol 1e-15, so 0.1 + 0.2 == 0.3), % is mathjs mod (sign of the divisor,
 * x % 0 = x), round/floor/ceil are mathjs's own number functions. Where mathjs would return a
 * complex number (sqrt(−1), log(−1), (−8)^(1/3)) the result here is NaN; NaN compares false.
 */

// The smallest mathjs instance that can parse and round: no evaluate/import on any path we use.
const math = create({ parseDependencies, roundDependencies, floorDependencies, ceilDependencies });

/** Numeric functions allowed in every expression. */
export const SCALAR_FUNCTIONS = ['abs', 'sqrt', 'log', 'log10', 'exp', 'pow', 'min', 'max', 'round', 'floor', 'ceil', 'sign'] as const;
/** Window aggregates, allowed when compiled with `aggregates: true`; x must be a measurement name. */
export const AGGREGATE_FUNCTIONS = ['count', 'sum', 'mean', 'min', 'max', 'std', 'last'] as const;
export type AggregateKind = (typeof AGGREGATE_FUNCTIONS)[number];

/** Named outright so the message is explicit; unknown functions are rejected the same way. */
const DANGEROUS = new Set([
  'import',
  'createUnit',
  'evaluate',
  'parse',
  'compile',
  'simplify',
  'derivative',
  'resolve',
  'chain',
  'config',
  'typed',
  'reviver',
]);
const MAX_LENGTH = 2000;

/** One aggregate an expression reads; scope.aggregates[i] must hold the value of aggregates[i]. */
export interface AggregateRef {
  kind: AggregateKind;
  /** Measurement name; null for a bare `count` / `count()` (all events in the window). */
  measurement: string | null;
  /** Canonical text, e.g. "sum(amount)", "count": a stable key for evidence. */
  label: string;
}

export interface CompiledExpression {
  readonly text: string;
  /** Names read as current values (bare names outside aggregates), in order of appearance. */
  readonly symbols: readonly string[];
  /** Aggregates read, de-duplicated, in order of appearance. */
  readonly aggregates: readonly AggregateRef[];
  /** Every measurement used, bare or inside an aggregate. */
  readonly measurements: readonly string[];
  /** True when the result is a truth value (comparison, and/or/xor/not, true/false). */
  readonly isCondition: boolean;
  /**
   * Evaluates against current values by name (missing names read as NaN) and, for detector
   * expressions, aggregate values indexed like `aggregates`. Returns a number; truth values are 1/0.
   */
  evaluate(values: Record<string, number>, aggregates?: ArrayLike<number>): number;
}

export interface CompileOptions {
  /** Whether a bare name is a known measurement. Anything else is rejected. */
  symbols: (name: string) => boolean | undefined;
  /** Allow window aggregates (detector expressions). Default false (per-event derived values). */
  aggregates?: boolean;
  /** Known names, only to list them in "unknown name" messages. */
  knownNames?: readonly string[];
}

const NO_AGGREGATES: ArrayLike<number> = [];

/** mathjs truthiness for numbers: 0 and NaN are false. */
export function truthy(x: number): boolean {
  return x !== 0 && x === x;
}

/** mathjs's nearlyEqual with its default relTol/absTol. */
export function nearlyEqual(a: number, b: number): boolean {
  if (a !== a || b !== b) return false;
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const d = Math.abs(a - b);
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return d <= Math.max(1e-12 * scale, 1e-15);
}

/** A compiled node: v = current values by name, ag = aggregate values by index. */
type Fn = (v: Record<string, number>, ag: ArrayLike<number>) => number;
const b2n = (x: boolean): number => (x ? 1 : 0);

const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  divide: (a, b) => a / b,
  mod: (a, b) => (b === 0 ? a : a - b * Math.floor(a / b)),
  pow: (a, b) => Math.pow(a, b),
  smaller: (a, b) => b2n(a < b && !nearlyEqual(a, b)),
  larger: (a, b) => b2n(a > b && !nearlyEqual(a, b)),
  smallerEq: (a, b) => b2n(a <= b || nearlyEqual(a, b)),
  largerEq: (a, b) => b2n(a >= b || nearlyEqual(a, b)),
  equal: (a, b) => b2n(nearlyEqual(a, b)),
  unequal: (a, b) => b2n(!nearlyEqual(a, b)),
  xor: (a, b) => b2n(truthy(a) !== truthy(b)),
};
const COMPARISONS = new Set(['smaller', 'larger', 'smallerEq', 'largerEq', 'equal', 'unequal']);
const LOGICAL = new Set(['and', 'or', 'xor', 'not']);
const OPERATORS_ALLOWED = '+ - * / % mod ^ < > <= >= == != and or xor not, a ? b : c';

/** mathjs round/floor/ceil throw on bad digit counts; an expression yields NaN instead. */
function digits(f: (x: number, n?: number) => unknown): (x: number, n?: number) => number {
  return (x, n) => {
    try {
      return f(x, n) as number;
    } catch {
      return NaN;
    }
  };
}
const mRound = digits((x, n) => (n === undefined ? math.round(x) : math.round(x, n)));
const mFloor = digits((x, n) => (n === undefined ? math.floor(x) : math.floor(x, n)));
const mCeil = digits((x, n) => (n === undefined ? math.ceil(x) : math.ceil(x, n)));

/** [fewest, most] arguments of each scalar function. */
const SCALARS: Record<(typeof SCALAR_FUNCTIONS)[number], [number, number]> = {
  abs: [1, 1],
  sqrt: [1, 1],
  log: [1, 2],
  log10: [1, 1],
  exp: [1, 1],
  pow: [2, 2],
  min: [1, Infinity],
  max: [1, Infinity],
  round: [1, 2],
  floor: [1, 2],
  ceil: [1, 2],
  sign: [1, 1],
};

// Structural views of the mathjs nodes we accept (mathjs's own typings are looser than useful here).
interface Node {
  type: string;
  toString(): string;
}
interface ConstantNode extends Node {
  value: unknown;
}
interface SymbolNode extends Node {
  name: string;
}
interface ParenthesisNode extends Node {
  content: Node;
}
interface OperatorNode extends Node {
  op: string;
  fn: string;
  args: Node[];
}
interface ConditionalNode extends Node {
  condition: Node;
  trueExpr: Node;
  falseExpr: Node;
}
interface FunctionNode extends Node {
  fn: Node;
  args: Node[];
}
interface RelationalNode extends Node {
  conditionals: string[];
  params: Node[];
}

const REJECTED_NODES: Record<string, string> = {
  AssignmentNode: 'assignment',
  FunctionAssignmentNode: 'function definition',
  AccessorNode: 'property/index access',
  IndexNode: 'index',
  ObjectNode: 'object literal',
  ArrayNode: 'array/matrix',
  RangeNode: 'range',
  BlockNode: 'multiple statements',
};

/** A node as one line of source, for messages. */
function show(n: Node): string {
  return n.toString().replace(/\s+/g, ' ');
}

function forbidden(message: string, text: string): FlowwatchError {
  return new FlowwatchError('FW_EXPRESSION_FORBIDDEN', message, { details: { expression: text } });
}
function invalid(message: string, text: string): FlowwatchError {
  return new FlowwatchError('FW_EXPRESSION_INVALID', message, { details: { expression: text } });
}

/**
 * Parses, checks and compiles `text`. Throws FlowwatchError FW_EXPRESSION_FORBIDDEN for a construct
 * outside the allowlist, FW_EXPRESSION_INVALID for a syntax error, an unknown name or a misused
 * function; the message names the offending part and what is allowed.
 */
export function compileRestricted(text: string, opts: CompileOptions): CompiledExpression {
  if (text.trim() === '') throw invalid('expression is empty', text);
  if (text.length > MAX_LENGTH) throw invalid(`expression is longer than ${MAX_LENGTH} characters`, text);
  let root: Node;
  try {
    root = math.parse(text) as unknown as Node;
  } catch (err) {
    throw new FlowwatchError('FW_EXPRESSION_INVALID', `syntax error in "${text}": ${(err as Error).message}`, {
      cause: err,
      details: { expression: text },
    });
  }
  return new Compiler(text, opts).compile(root);
}

class Compiler {
  private readonly symbols: string[] = [];
  private readonly aggregates: AggregateRef[] = [];
  private readonly measurements: string[] = [];
  private readonly allowedText: string;

  constructor(
    private readonly text: string,
    private readonly opts: CompileOptions,
  ) {
    this.allowedText =
      SCALAR_FUNCTIONS.join(', ') + (opts.aggregates ? '; window aggregates: count, sum(x), mean(x), min(x), max(x), std(x), last(x)' : '');
  }

  compile(root: Node): CompiledExpression {
    const fn = this.node(root);
    return {
      text: this.text,
      symbols: this.symbols,
      aggregates: this.aggregates,
      measurements: this.measurements,
      isCondition: isCondition(root),
      evaluate: (values, aggregates = NO_AGGREGATES) => fn(values, aggregates),
    };
  }

  private node(n: Node): Fn {
    switch (n.type) {
      case 'ConstantNode':
        return this.constant(n as ConstantNode);
      case 'SymbolNode':
        return this.symbol((n as SymbolNode).name);
      case 'ParenthesisNode':
        return this.node((n as ParenthesisNode).content);
      case 'OperatorNode':
        return this.operator(n as OperatorNode);
      case 'RelationalNode':
        return this.relational(n as RelationalNode);
      case 'ConditionalNode': {
        const c = n as ConditionalNode;
        const cond = this.node(c.condition);
        const yes = this.node(c.trueExpr);
        const no = this.node(c.falseExpr);
        return (v, ag) => (truthy(cond(v, ag)) ? yes(v, ag) : no(v, ag));
      }
      case 'FunctionNode':
        return this.call(n as FunctionNode);
      default: {
        const what = REJECTED_NODES[n.type] ?? n.type;
        throw forbidden(
          `${what} "${show(n)}" is not allowed in expressions; allowed: numbers, names, ( ), ${OPERATORS_ALLOWED}, functions ${this.allowedText}`,
          this.text,
        );
      }
    }
  }

  private constant(n: ConstantNode): Fn {
    const v = n.value;
    if (typeof v === 'number') return () => v;
    if (typeof v === 'boolean') {
      const x = b2n(v);
      return () => x;
    }
    throw invalid(`constant ${show(n)} is not allowed: only numbers and true/false`, this.text);
  }

  private symbol(name: string): Fn {
    if (DANGEROUS.has(name)) throw forbidden(`"${name}" is not allowed in expressions`, this.text);
    if (this.opts.aggregates && name === 'count') return this.aggregate('count', null);
    if (name === 'pi') return () => Math.PI;
    if (name === 'e') return () => Math.E;
    if (this.opts.symbols(name) !== true) {
      if ((SCALAR_FUNCTIONS as readonly string[]).includes(name) || (AGGREGATE_FUNCTIONS as readonly string[]).includes(name)) {
        throw invalid(`"${name}" is a function: call it, e.g. ${name}(x)`, this.text);
      }
      const known = this.opts.knownNames?.length ? `; known: ${this.opts.knownNames.join(', ')}` : '';
      throw invalid(`unknown name "${name}"${known}`, this.text);
    }
    if (!this.symbols.includes(name)) this.symbols.push(name);
    this.useMeasurement(name);
    return (v) => {
      const x = v[name];
      return typeof x === 'number' ? x : NaN; // typeof also shields against inherited names like "constructor"
    };
  }

  private operator(n: OperatorNode): Fn {
    const name = n.fn;
    if (n.args.length === 1 && (name === 'unaryMinus' || name === 'unaryPlus' || name === 'not')) {
      const a = this.node(n.args[0]);
      if (name === 'unaryMinus') return (v, ag) => -a(v, ag);
      if (name === 'not') return (v, ag) => b2n(!truthy(a(v, ag)));
      return a;
    }
    if (n.args.length === 2 && (name === 'and' || name === 'or')) {
      const a = this.node(n.args[0]);
      const b = this.node(n.args[1]);
      return name === 'and' ? (v, ag) => b2n(truthy(a(v, ag)) && truthy(b(v, ag))) : (v, ag) => b2n(truthy(a(v, ag)) || truthy(b(v, ag)));
    }
    const op = BINARY[name];
    if (n.args.length !== 2 || !Object.hasOwn(BINARY, name)) {
      throw forbidden(`operator "${n.op}" is not allowed in expressions; allowed: ${OPERATORS_ALLOWED}`, this.text);
    }
    const a = this.node(n.args[0]);
    const b = this.node(n.args[1]);
    return (v, ag) => op(a(v, ag), b(v, ag));
  }

  /** Chained comparison a < b <= c: every link holds. */
  private relational(n: RelationalNode): Fn {
    const ops = n.conditionals.map((c) => {
      if (!COMPARISONS.has(c)) throw forbidden(`comparison "${c}" is not allowed in expressions`, this.text);
      return BINARY[c];
    });
    const params = n.params.map((p) => this.node(p));
    return (v, ag) => {
      let left = params[0](v, ag);
      for (let i = 0; i < ops.length; i++) {
        const right = params[i + 1](v, ag);
        if (ops[i](left, right) === 0) return 0;
        left = right;
      }
      return 1;
    };
  }

  private call(n: FunctionNode): Fn {
    if (n.fn.type !== 'SymbolNode')
      throw forbidden(`calling "${show(n.fn)}" is not allowed in expressions; allowed functions: ${this.allowedText}`, this.text);
    const name = (n.fn as SymbolNode).name;
    const args = n.args;
    if (DANGEROUS.has(name)) throw forbidden(`function "${name}" is not allowed in expressions; allowed: ${this.allowedText}`, this.text);
    if (this.opts.aggregates && (AGGREGATE_FUNCTIONS as readonly string[]).includes(name)) {
      const scalarMinMax = (name === 'min' || name === 'max') && !(args.length === 1 && args[0].type === 'SymbolNode');
      if (!scalarMinMax) return this.aggregateCall(name as AggregateKind, args);
    }
    if (!Object.hasOwn(SCALARS, name)) {
      const hint = (AGGREGATE_FUNCTIONS as readonly string[]).includes(name)
        ? ' (window aggregates exist only in detector expressions)'
        : '';
      throw forbidden(`function "${name}" is not allowed in expressions${hint}; allowed: ${this.allowedText}`, this.text);
    }
    const [lo, hi] = SCALARS[name as keyof typeof SCALARS];
    if (args.length < lo || args.length > hi) {
      const expected = lo === hi ? `${lo}` : hi === Infinity ? `at least ${lo}` : `${lo} or ${hi}`;
      throw invalid(`function "${name}" takes ${expected} argument${lo === 1 && hi === 1 ? '' : 's'}, got ${args.length}`, this.text);
    }
    const f = args.map((a) => this.node(a));
    const [a, b] = f;
    switch (name) {
      case 'abs':
        return (v, ag) => Math.abs(a(v, ag));
      case 'sqrt':
        return (v, ag) => Math.sqrt(a(v, ag));
      case 'log':
        return b ? (v, ag) => Math.log(a(v, ag)) / Math.log(b(v, ag)) : (v, ag) => Math.log(a(v, ag));
      case 'log10':
        return (v, ag) => Math.log10(a(v, ag));
      case 'exp':
        return (v, ag) => Math.exp(a(v, ag));
      case 'pow':
        return (v, ag) => Math.pow(a(v, ag), b(v, ag));
      case 'sign':
        return (v, ag) => Math.sign(a(v, ag));
      case 'round':
        return b ? (v, ag) => mRound(a(v, ag), b(v, ag)) : (v, ag) => mRound(a(v, ag));
      case 'floor':
        return b ? (v, ag) => mFloor(a(v, ag), b(v, ag)) : (v, ag) => mFloor(a(v, ag));
      case 'ceil':
        return b ? (v, ag) => mCeil(a(v, ag), b(v, ag)) : (v, ag) => mCeil(a(v, ag));
      case 'min':
      case 'max': {
        const pick =
          name === 'min' ? (x: number, y: number) => (x < y || x !== x ? x : y) : (x: number, y: number) => (x > y || x !== x ? x : y);
        if (f.length === 1) return a;
        return (v, ag) => {
          let r = f[0](v, ag);
          for (let i = 1; i < f.length; i++) r = pick(r, f[i](v, ag));
          return r;
        };
      }
    }
    throw forbidden(`function "${name}" is not allowed in expressions; allowed: ${this.allowedText}`, this.text);
  }

  private aggregateCall(kind: AggregateKind, args: Node[]): Fn {
    if (kind === 'count' && args.length === 0) return this.aggregate('count', null);
    if (args.length !== 1 || args[0].type !== 'SymbolNode') {
      const got = args.map(show).join(', ');
      throw invalid(`argument of ${kind}() must be one measurement name, got "${got}"`, this.text);
    }
    const name = (args[0] as SymbolNode).name;
    if (DANGEROUS.has(name)) throw forbidden(`"${name}" is not allowed in expressions`, this.text);
    if (this.opts.symbols(name) !== true) {
      const known = this.opts.knownNames?.length ? `; known: ${this.opts.knownNames.join(', ')}` : '';
      throw invalid(`unknown measurement "${name}" in ${kind}(${name})${known}`, this.text);
    }
    return this.aggregate(kind, name);
  }

  private aggregate(kind: AggregateKind, measurement: string | null): Fn {
    const label = measurement === null ? kind : `${kind}(${measurement})`;
    let i = this.aggregates.findIndex((a) => a.label === label);
    if (i < 0) {
      i = this.aggregates.push({ kind, measurement, label }) - 1;
      if (measurement !== null) this.useMeasurement(measurement);
    }
    const idx = i;
    return (_v, ag) => ag[idx];
  }

  private useMeasurement(name: string): void {
    if (!this.measurements.includes(name)) this.measurements.push(name);
  }
}

function isCondition(n: Node): boolean {
  switch (n.type) {
    case 'ConstantNode':
      return typeof (n as ConstantNode).value === 'boolean';
    case 'ParenthesisNode':
      return isCondition((n as ParenthesisNode).content);
    case 'RelationalNode':
      return true;
    case 'OperatorNode': {
      const fn = (n as OperatorNode).fn;
      return COMPARISONS.has(fn) || LOGICAL.has(fn);
    }
    case 'ConditionalNode':
      return isCondition((n as ConditionalNode).trueExpr) && isCondition((n as ConditionalNode).falseExpr);
    default:
      return false;
  }
}
