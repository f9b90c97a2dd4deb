import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, FlowwatchError } from '../kernel/errors';
import { configSchema, type FlowwatchConfig } from './schema';
import { formatIssues } from './format-issues';
import { checkConfigSemantics, rawDeriveProblems } from './semantics';

/** Most alias uses a config may expand: a few anchors are normal, a billion laughs is not. */
const MAX_ALIAS_COUNT = 100;

/** Parses YAML or JSON text (JSON is YAML) and reports syntax errors with line and column. */
export function parseConfigText(text: string, file = '<config>'): unknown {
  // JSON's own parser names JSON mistakes in JSON's words (a truncated file is not a "flow map").
  if (looksLikeJson(file)) {
    const problem = jsonSyntaxProblem(text);
    if (problem) throw new ConfigError([problem], file);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `line ${pos.line}, column ${pos.col}` : 'syntax'}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
    });
    throw new ConfigError([...new Set(problems)], file);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new ConfigError(
        [
          `(top level): YAML aliases (*name) expand too far: more than ${MAX_ALIAS_COUNT} uses of anchored nodes, nested (an "alias bomb"); write the repeated parts out or use fewer nested aliases`,
        ],
        file,
      );
    }
    throw new ConfigError([`(top level): ${(err as Error).message}`], file);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got =
      value === null || value === undefined
        ? 'an empty file'
        : Array.isArray(value)
          ? 'a list'
          : `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
    throw new ConfigError([`(top level): expected a mapping with "streams:", got ${got}`], file);
  }
  return value;
}

/** A .json file is judged as JSON (YAML flow style also starts with "{", so the content cannot tell). */
function looksLikeJson(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}

/** JSON.parse's complaint with line and column, or undefined when the text is valid JSON. */
function jsonSyntaxProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const pos = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : undefined;
    const what = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    if (pos === undefined) return `JSON: ${what}`;
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `line ${line}, column ${col}: JSON: ${/end of JSON input/.test(message) ? 'the file ends before the JSON does (truncated? a missing } or ])' : what}`;
  }
}

/** Validates a parsed config: schema first, then checks that need compiled parts (expressions). */
export function validateConfig(raw: unknown, file = '<config>'): FlowwatchConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError([...formatIssues(result.error.issues, raw), ...rawDeriveProblems(raw)], file);
  const problems = checkConfigSemantics(result.data);
  if (problems.length > 0) throw new ConfigError(problems, file);
  return result.data;
}

export function loadConfigFile(file: string): FlowwatchConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FlowwatchError(
      'FW_CONFIG_READ',
      `cannot read config ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { cause: err },
    );
  }
  return validateConfig(parseConfigText(text, file), file);
}

export const DEFAULT_FLOWS = ['people', 'goods', 'funds'] as const;

/**
 * The embedded default: the three example flows (examples/<flow>.yaml) in one config, fed by the
 * simulator, with console alerts and in-memory state. One source of truth for demo and examples.
 */
export function loadDefaultConfig(): FlowwatchConfig {
  const streams: Record<string, unknown> = {};
  for (const flow of DEFAULT_FLOWS) {
    const file = path.join(examplesDir(), `${flow}.yaml`);
    const raw = parseConfigText(readFileSync(file, 'utf8'), file) as { streams?: Record<string, unknown> };
    Object.assign(streams, raw.streams);
  }
  return validateConfig({ streams, dead_letter: { type: 'stderr' } }, 'embedded default');
}

function examplesDir(): string {
  // Compiled code runs from dist/config, sources from config/ (tests): examples/ sits at the project root.
  const candidates = [path.resolve(__dirname, '..', 'examples'), path.resolve(__dirname, '..', '..', 'examples')];
  const found = candidates.find((c) => existsSync(path.join(c, 'people.yaml')));
  if (found) return found;
  throw new FlowwatchError(
    'FW_CONFIG_READ',
    `examples/ not found next to ${__dirname}; the embedded default is built from examples/*.yaml`,
  );
}
