import { randomBytes } from 'node:crypto';
import type { ApiUser } from '../api/access';

interface Session {
  user: ApiUser;
  created: number;
  used: number;
}

/**
 * Console sessions: the console trades a user's long-lived token for a random session token
 * (POST /api/console/session) and keeps only that in the tab. A session ends when unused for
 * `idleMs` (an open board counts as use) and `maxMs` after sign-in, whichever comes first; the
 * API then answers 401 and the page asks for the token again. Held in this process's memory.
 */
export class Sessions {
  private readonly items = new Map<string, Session>();

  constructor(private readonly o: { idleMs: number; maxMs: number; now?: () => number }) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  create(user: ApiUser): { token: string; expiresAt: number } {
    this.sweep();
    const token = `fws_${randomBytes(24).toString('hex')}`;
    const now = this.now();
    this.items.set(token, { user, created: now, used: now });
    return { token, expiresAt: now + this.o.maxMs };
  }

  /** The session's user, marking it used; undefined when unknown or expired. */
  use(token: string): ApiUser | undefined {
    const s = this.items.get(token);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.used > this.o.idleMs || now - s.created > this.o.maxMs) {
      this.items.delete(token);
      return undefined;
    }
    s.used = now;
    return s.user;
  }

  end(token: string): void {
    this.items.delete(token);
  }

  isSession(token: string): boolean {
    return token.startsWith('fws_');
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, s] of this.items) if (now - s.used > this.o.idleMs || now - s.created > this.o.maxMs) this.items.delete(t);
  }
}
