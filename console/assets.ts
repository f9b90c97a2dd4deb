import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ServerResponse } from 'node:http';

/**
 * The console's page, script and style, shipped in console/assets/ (no build step, no CDN).
 * From the sources they sit beside this file; from dist/console/ two folders up, in the package.
 */
const CANDIDATES = [path.join(__dirname, 'assets'), path.join(__dirname, '..', '..', 'console', 'assets')];

const FILES: Record<string, { file: string; type: string }> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/**
 * Headers of every console response: scripts and styles only from this origin and only as
 * files (no inline script, no eval), answers only to this origin's scripts, never framed.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export class ConsoleAssets {
  private readonly cache = new Map<string, Buffer>();
  private readonly dir: string | undefined = CANDIDATES.find((d) => existsSync(path.join(d, 'index.html')));

  /** Whether this path is one of the console's files. */
  has(pathname: string): boolean {
    return pathname in FILES;
  }

  /** Sends the file (read once, then kept); 404 when the package was installed without console/assets/. */
  serve(pathname: string, res: ServerResponse): void {
    const f = FILES[pathname];
    if (!this.dir) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...CONSOLE_HEADERS });
      res.end('the console assets (console/assets/) are not installed with this flowwatch');
      return;
    }
    let body = this.cache.get(f.file);
    if (!body) {
      body = readFileSync(path.join(this.dir, f.file));
      this.cache.set(f.file, body);
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-cache', ...CONSOLE_HEADERS });
    res.end(body);
  }
}
