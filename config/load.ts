import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, FlowwatchError } from '../core/errors';
import { configSchema, type FlowwatchConfig } from './schema';
import { formatIssues } from './format-issues';
import { checkConfigSemantics } from './semantics';

/** Parses YAML or JSON text (JSON is YAML) and reports syntax errors with line and column. */
export function parseConfigText(text: string, file = '<config>'): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `line ${pos.line}, column ${pos.col}` : 'syntax'}: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(problems, file);
  }
  const value = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(['(top level): expected a mapping with "streams:", got ' + (value === null ? 'an empty file' : typeof value)], file);
  }
  return value;
}

/** Validates a parsed config: schema first, then checks that need compiled parts (expressions). */
export function validateConfig(raw: unknown, file = '<config>'): FlowwatchConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, raw), file);
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
    throw new FlowwatchError('FW_CONFIG_READ', `cannot read config ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  return validateConfig(parseConfigText(text, file), file);
}


export const DEFAULT_FLOWS = ['people', 'goods', 'funds'] as const;

/**
 * The embedded default: the three example flows (examples/<flow>.yaml) in one config, fed by the
 * simulator, with console alerts and in-memory state. One source of truth for demo and examples.
 */
export function loadDefaultConfig(): FlowwatchConfig {
  const merged: Record<string, any> = { streams: {} };
  for (const flow of DEFAULT_FLOWS) {
    const file = path.join(examplesDir(), `${flow}.yaml`);
    const raw = parseConfigText(readFileSync(file, 'utf8'), file) as Record<string, any>;
    Object.assign(merged.streams, raw.streams);
  }
  merged.dead_letter = { type: 'stderr' };
  return validateConfig(merged, 'embedded default');
}

function examplesDir(): string {
  // Compiled code runs from dist/config, sources from config/ (tests): examples/ sits at the project root.
  const candidates = [path.resolve(__dirname, '..', 'examples'), path.resolve(__dirname, '..', '..', 'examples')];
  const found = candidates.find((c) => existsSync(path.join(c, 'people.yaml')));
  if (found) return found;
  throw new FlowwatchError('FW_CONFIG_READ', `examples/ not found next to ${__dirname}; the embedded default is built from examples/*.yaml`);
}
