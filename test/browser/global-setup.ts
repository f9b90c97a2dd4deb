import { spawnSync } from 'node:child_process';

/**
 * The browser tests drive Debian's chromium. A fresh machine lacks it, and the README's test
 * command (`npm ci && npm test`) must still run every test: so, like the integration project's
 * setup starts its servers, this installs chromium when it is missing (apt-get, as root or with
 * password-less sudo). When that cannot be done the tests fail saying what to install.
 */
export default function globalSetup(): void {
  if (process.env.FW_CHROMIUM || has('chromium')) return;
  const apt = process.getuid?.() === 0 ? ['apt-get'] : has('sudo') ? ['sudo', '-n', 'apt-get'] : null;
  if (!apt) {
    process.stderr.write('browser tests: chromium is missing and cannot be installed here (apt-get install -y chromium)\n');
    return;
  }
  process.stderr.write('browser tests: installing chromium (apt-get install -y chromium)...\n');
  const started = Date.now();
  const install = () =>
    spawnSync(apt[0], [...apt.slice(1), 'install', '-y', 'chromium'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let r = install();
  if (r.status !== 0) {
    // A fresh machine's package lists may be missing or stale.
    spawnSync(apt[0], [...apt.slice(1), 'update'], { stdio: 'ignore' });
    r = install();
  }
  const took = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status === 0 && has('chromium')) process.stderr.write(`browser tests: chromium installed in ${took} s\n`);
  else process.stderr.write(`browser tests: could not install chromium (apt-get exit ${r.status}); the browser tests will fail\n`);
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
