import { ROUTE_DEFAULTS, type RouteConfig } from '../config';
import { matchesAll, parseMatchers, type Matcher } from '../matchers';

/** A route with its inherited settings resolved. */
export interface Route {
  /** Stable id from its position in the tree: "0", "0.1", "0.1.0" (part of group keys). */
  id: string;
  receiver: string;
  matchers: Matcher[];
  continue: boolean;
  /** Label names; ["..."] groups by every label (one group per alert). */
  groupBy: string[];
  groupWait: number;
  groupInterval: number;
  repeatInterval: number;
  routes: Route[];
}

/**
 * The routing tree, as in Alertmanager: an alert descends into the first child whose matchers
 * hold (and further siblings when that child has `continue: true`); when no child matches, the
 * route itself takes it. The root matches everything.
 */
export class Router {
  readonly root: Route;

  constructor(config: RouteConfig, defaultReceiver: string) {
    this.root = build(config, '0', {
      receiver: config.receiver ?? defaultReceiver,
      groupBy: config.group_by ?? [...ROUTE_DEFAULTS.group_by],
      groupWait: config.group_wait ?? ROUTE_DEFAULTS.group_wait,
      groupInterval: config.group_interval ?? ROUTE_DEFAULTS.group_interval,
      repeatInterval: config.repeat_interval ?? ROUTE_DEFAULTS.repeat_interval,
    });
  }

  /**
   * The routes that take an alert with these labels, each receiver at most once (the first
   * route naming it wins), so an alert reaches each receiver its routes name exactly once.
   */
  match(labels: Readonly<Record<string, string>>): Route[] {
    const out: Route[] = [];
    const seen = new Set<string>();
    for (const r of matchRoute(this.root, labels)) {
      if (seen.has(r.receiver)) continue;
      seen.add(r.receiver);
      out.push(r);
    }
    return out;
  }

  /** The route with this id (a group names its route by id); undefined when the tree no longer has it. */
  byId(id: string): Route | undefined {
    return this.all().find((r) => r.id === id);
  }

  /** Every route, depth first (for listing and tests). */
  all(): Route[] {
    const out: Route[] = [];
    const walk = (r: Route) => {
      out.push(r);
      r.routes.forEach(walk);
    };
    walk(this.root);
    return out;
  }
}

type Inherited = Pick<Route, 'receiver' | 'groupBy' | 'groupWait' | 'groupInterval' | 'repeatInterval'>;

function build(c: RouteConfig, id: string, inherited: Inherited): Route {
  const r: Route = {
    id,
    receiver: c.receiver ?? inherited.receiver,
    matchers: parseMatchers(c.matchers),
    continue: c.continue,
    groupBy: c.group_by ?? inherited.groupBy,
    groupWait: c.group_wait ?? inherited.groupWait,
    groupInterval: c.group_interval ?? inherited.groupInterval,
    repeatInterval: c.repeat_interval ?? inherited.repeatInterval,
    routes: [],
  };
  r.routes = c.routes.map((child, i) => build(child, `${id}.${i}`, r));
  return r;
}

function matchRoute(r: Route, labels: Readonly<Record<string, string>>): Route[] {
  if (!matchesAll(r.matchers, labels)) return [];
  const out: Route[] = [];
  for (const child of r.routes) {
    const got = matchRoute(child, labels);
    if (got.length === 0) continue;
    out.push(...got);
    if (!child.continue) break;
  }
  return out.length > 0 ? out : [r];
}

/** Without a `route:` in the config, every receiver gets every alert (flowwatch's behaviour before routing). */
export function fanOutRoute(receivers: readonly string[]): RouteConfig {
  return {
    receiver: receivers[0],
    matchers: [],
    continue: false,
    routes: receivers.map((name) => ({ receiver: name, matchers: [], continue: true, routes: [] })),
  };
}

/** The labels an alert is grouped by on a route. */
export function groupLabels(route: Route, labels: Readonly<Record<string, string>>): Record<string, string> {
  if (route.groupBy.includes('...')) return { ...labels };
  const out: Record<string, string> = {};
  for (const name of route.groupBy) out[name] = labels[name] ?? '';
  return out;
}
