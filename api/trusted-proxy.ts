import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { FlowwatchError } from '../kernel/errors';
import type { ApiConfig } from '../alerts/config';
import type { ApiUser } from './access';

/** alerting.api.trusted_proxy (alerts/config.ts; its addresses checked there). */
export type TrustedProxyConfig = NonNullable<ApiConfig['trusted_proxy']>;

function forbidden(message: string): FlowwatchError {
  return new FlowwatchError('FW_INPUT', message, { details: { status: 403 } });
}

/**
 * Sign-in by a reverse proxy that authenticates people itself (SSO, client certificates) and
 * names the user in a header: a request without a bearer token is that user's when it comes from
 * one of the proxy's addresses. The header is a claim anyone can make, so from any other address
 * it is refused, never trusted; and a request a browser marks as cross-site is refused too (the
 * proxy's own login cookie would otherwise make it the user's). The user is configured here
 * (trusted_proxy.users) or among alerting.api.users, by name: teams and admin come from the
 * config, never from the proxy.
 */
export class TrustedProxy {
  private readonly from = new BlockList();
  private readonly header: string;
  private readonly users = new Map<string, ApiUser>();

  constructor(
    private readonly cfg: TrustedProxyConfig,
    known: ReadonlyArray<ApiUser>,
  ) {
    this.header = cfg.header.toLowerCase();
    for (const entry of cfg.from) {
      const [ip, bits] = entry.split('/');
      const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.from.addAddress(ip, family);
      else this.from.addSubnet(ip, Number(bits), family);
    }
    for (const u of known) if (u.name !== 'admin' || !u.admin) this.users.set(u.name, u);
    for (const u of cfg.users) this.users.set(u.name, { name: u.name, admin: u.admin, teams: u.admin ? [] : u.teams });
  }

  /** The user the proxy names for this request (which has no bearer token); undefined when it names none. Throws 403 when refused. */
  userOf(req: IncomingMessage): ApiUser | undefined {
    const raw = req.headers[this.header];
    if (raw === undefined) return undefined;
    const name = (Array.isArray(raw) ? raw.join(',') : raw).trim();
    const addr = remoteAddress(req);
    if (!this.trusts(addr))
      throw forbidden(
        `the ${this.cfg.header} header is accepted only from the trusted proxy (alerting.api.trusted_proxy.from); this request comes from ${addr || 'an unknown address'}`,
      );
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw forbidden(`a ${String(site)} request is not signed in by the proxy's ${this.cfg.header} (only same-origin requests are)`);
    const user = this.users.get(name);
    if (!user)
      throw forbidden(
        `the proxy names user ${JSON.stringify(name)}, who is not configured (alerting.api.trusted_proxy.users or alerting.api.users)`,
      );
    return user;
  }

  private trusts(addr: string): boolean {
    if (!addr) return false;
    return this.from.check(addr, isIP(addr) === 6 ? 'ipv6' : 'ipv4');
  }
}

/** The peer's address, an IPv4-mapped IPv6 one ("::ffff:127.0.0.1") as the IPv4 address it is. */
function remoteAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}
