/**
 * A real Prometheus Alertmanager (and amtool) for the integration tests that talk to one
 * (test/integration/alertmanager*.test.ts), from the environment (ALERTMANAGER_URL,
 * ALERTMANAGER_WEBHOOK_URL, AMTOOL, ALERTMANAGER_BIN: your own) or `scripts/services up
 * alertmanager` (built once from the Go module proxy, cached). Started only when the run includes
 * such a test; the teardown stops only what it started.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { Config } from '@jest/types';
import type { Teardown } from './services';

const ROOT = path.join(__dirname, '..', '..');
const KEYS = ['ALERTMANAGER_URL', 'ALERTMANAGER_WEBHOOK_URL', 'AMTOOL', 'ALERTMANAGER_BIN'] as const;
const TEST_FILE = path.join(ROOT, 'test', 'integration', 'alertmanager.test.ts');

/** Whether this jest run selects a test that needs Alertmanager (no path pattern: the whole suite does). */
export function alertmanagerWanted(globalConfig?: Config.GlobalConfig): boolean {
  if (process.env.FW_ALERTMANAGER === '0') return false;
  const raw =
    (globalConfig?.testPathPatterns as unknown as { patterns?: string[] } | undefined)?.patterns ??
    (globalConfig?.nonFlagArgs as string[] | undefined) ??
    [];
  if (raw.length === 0) return true;
  return raw.some((p) => {
    try {
      return new RegExp(p, 'i').test(TEST_FILE);
    } catch {
      return p.includes('alertmanager');
    }
  });
}

export async function ensureAlertmanager(
  globalConfig?: Config.GlobalConfig,
  log: (msg: string) => void = (m) => process.stderr.write(m + '\n'),
): Promise<Teardown> {
  if (KEYS.every((k) => process.env[k])) {
    log(`integration: using Alertmanager from the environment (${process.env.ALERTMANAGER_URL})`);
    return async () => {};
  }
  if (!alertmanagerWanted(globalConfig)) return async () => {};
  const script = path.join(ROOT, 'scripts', 'services');
  let status = '';
  try {
    status = execFileSync(script, ['status', 'alertmanager'], { encoding: 'utf8' });
  } catch (err) {
    status = String((err as { stdout?: string }).stdout ?? '');
  }
  const start = !/^alertmanager\s+running/m.test(status);
  if (start) {
    log('integration: starting Alertmanager with scripts/services up alertmanager (built with Go once, then cached)');
    execFileSync(script, ['up', 'alertmanager'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 20 * 60_000 });
  }
  const env = execFileSync(script, ['env'], { encoding: 'utf8' });
  for (const line of env.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m && (KEYS as readonly string[]).includes(m[1])) process.env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return async () => {
    if (start) execFileSync(script, ['down', 'alertmanager'], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
}
