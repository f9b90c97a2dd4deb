/**
 * Funds flow: outgoing payments per account.
 *
 * Each account has an activity level (0.2–6 payments/hour in daytime, log-uniform) shaped by a daily
 * cycle (little at night, lunchtime high; weekends a bit later), a stable set of 5–30 habitual
 * counterparties picked with a Zipf(1.2) preference, and now and then (2 %) a new counterparty.
 * Merchants are paid by card or online, accounts by transfer. Amounts are log-normal (card median ≈ 40,
 * online ≈ 60, transfer ≈ 400, times a per-account factor). Normal amounts never fall in
 * [9000, 10000): that band is reserved for the structuring anomaly.
 */
import { Anomaly, FlowGen, MINUTE, alignUp, isWeekend, minuteOfDay, pad, profile, round2 } from './flow';
import type { FaultRates } from './flow';
import { Rng, Zipf } from './random';
import type { AnomalyKind } from './types';

const CARD = 0;
const ONLINE = 1;
const TRANSFER = 2;
const CHANNELS = ['card', 'online', 'transfer'] as const;
const MEDIAN = [40, 60, 400];
const SIGMA = [0.8, 0.9, 1.0];

const CATEGORIES: ReadonlyArray<readonly [string, number]> = [
  ['grocer', CARD],
  ['cafe', CARD],
  ['fuel', CARD],
  ['pharmacy', CARD],
  ['transit', CARD],
  ['restaurant', CARD],
  ['bakery', CARD],
  ['bookshop', CARD],
  ['online-shop', ONLINE],
  ['telecom', ONLINE],
  ['utility', ONLINE],
  ['streaming', ONLINE],
];
const CARD_CATEGORIES = CATEGORIES.filter((c) => c[1] === CARD);

/** Payments per hour multiplier by minute of day (max 1.2). */
const WD_ACTIVITY = profile([
  [0, 0.08],
  [1, 0.03],
  [5, 0.03],
  [7, 0.3],
  [8, 0.7],
  [9, 1],
  [12, 1.15],
  [13, 1.2],
  [14, 1],
  [17, 1.05],
  [19, 1],
  [21, 0.7],
  [22.5, 0.35],
  [24, 0.08],
]);
const WE_ACTIVITY = profile([
  [0, 0.1],
  [2, 0.03],
  [7, 0.03],
  [9, 0.4],
  [11, 0.9],
  [13, 1.1],
  [17, 1],
  [20, 0.8],
  [22.5, 0.35],
  [24, 0.1],
]);

const NEW_COUNTERPARTY = 0.02;

class Account {
  readonly habitual: string[] = [];
  readonly habitualCh: number[] = [];
  /** Every counterparty this account has ever paid (and its habitual set). */
  readonly seen = new Set<string>();
  constructor(
    readonly id: string,
    /** daytime payments per hour */
    readonly rate: number,
    readonly amountFactor: number,
    public zipf: Zipf,
  ) {}
}

/** A payment before it gets an id (sorted by time within the minute first). */
interface Pending {
  ts: number;
  acct: number;
  cp: string;
  ch: number;
  amount: number;
}

export class FundsFlow extends FlowGen {
  readonly name = 'funds' as const;
  readonly step = MINUTE;
  readonly kinds: readonly AnomalyKind[] = ['velocity_burst', 'structuring', 'fan_out'];
  protected readonly timeField = 'ts';
  protected readonly badField = 'amount';
  protected readonly badValue = 'lots';

  readonly accounts: Account[] = [];
  private readonly rng: Rng;
  private readonly merchantsPerCategory: number;
  private readonly idWidth: number;
  /** External (non-simulated) account numbers are drawn from [N, 10^idWidth). */
  private readonly external: number;
  private paymentSeq = 0;
  private readonly batch: Pending[] = [];

  constructor(seed: number, scale: number, faults: FaultRates) {
    super(seed, 2, faults);
    const setup = new Rng(seed, 2, 1);
    this.rng = new Rng(seed, 2, 2);
    const n = Math.max(2, Math.round(200 * scale));
    this.idWidth = Math.max(5, String(n * 10).length);
    this.external = Math.pow(10, this.idWidth) - n;
    this.merchantsPerCategory = Math.max(5, Math.round(40 * scale));
    const zipfs: Zipf[] = [];
    for (let k = 0; k <= 30; k++) zipfs.push(new Zipf(Math.max(1, k), 1.2));
    for (let i = 0; i < n; i++) {
      const rate = Math.exp(setup.range(Math.log(0.2), Math.log(6)));
      this.accounts.push(new Account(this.accountId(i), rate, setup.lognormal(1, 0.3), zipfs[1]));
    }
    for (let i = 0; i < n; i++) {
      const acct = this.accounts[i];
      const size = setup.intRange(5, 30);
      let guard = 0;
      while (acct.habitual.length < size && guard++ < 1000) {
        const ch = this.randomCounterparty(setup, i);
        if (acct.seen.has(this.cpTmp)) continue;
        acct.seen.add(this.cpTmp);
        acct.habitual.push(this.cpTmp);
        acct.habitualCh.push(ch);
      }
      acct.zipf = zipfs[acct.habitual.length];
    }
  }

  keyName(k: number): string {
    return this.accounts[k].id;
  }
  protected encodeTime(ms: number): unknown {
    return Math.floor(ms / 1000);
  }

  private accountId(i: number): string {
    return `ACC-${pad(i, this.idWidth)}`;
  }

  /** Scratch output of randomCounterparty (avoids allocating a tuple per payment). */
  private cpTmp = '';

  /** Picks a random merchant (card/online) or account (transfer); the id goes to cpTmp, returns the channel. */
  private randomCounterparty(rng: Rng, self: number): number {
    if (rng.next() < 0.7) {
      const [cat, ch] = CATEGORIES[rng.int(CATEGORIES.length)];
      this.cpTmp = `M-${cat}-${1 + rng.int(this.merchantsPerCategory)}`;
      return ch;
    }
    this.cpTmp = this.randomAccount(rng, self);
    return TRANSFER;
  }

  private randomAccount(rng: Rng, self: number): string {
    const n = this.accounts.length;
    if (rng.next() < 0.25) return this.accountId(n + rng.int(this.external));
    let j = rng.int(n - 1);
    if (j >= self) j++;
    return this.accountId(j);
  }

  private amount(rng: Rng, ch: number, factor: number): number {
    for (let i = 0; i < 8; i++) {
      const x = round2(Math.max(0.5, rng.lognormal(MEDIAN[ch] * factor, SIGMA[ch])));
      if (x < 9000 || x >= 10000) return x;
    }
    return 8500;
  }

  // ---------------------------------------------------------------- anomalies

  protected propose(kind: AnomalyKind, rng: Rng, lo: number, hi: number): Anomaly | null {
    const i = rng.int(this.accounts.length);
    const acct = this.accounts[i];
    const start = alignUp(rng.range(lo, hi), 1000);
    if (start >= hi) return null;
    let count: number;
    let span: number; // seconds
    if (kind === 'velocity_burst') {
      count = rng.intRange(15, 40);
      span = Math.round(rng.range(5, 15) * 60);
    } else if (kind === 'structuring') {
      count = rng.intRange(4, 8);
      span = Math.round(rng.range(1, 6) * 3600);
    } else {
      count = rng.intRange(15, 40);
      span = Math.round(rng.range(30, 60) * 60);
    }
    // Payment offsets (s): the first at the start; structuring also pins the last at the span's end.
    const offs: number[] = [0];
    if (kind === 'structuring') offs.push(span);
    while (offs.length < count) offs.push(rng.int(span));
    offs.sort((x, y) => x - y);
    const end = start + (offs[offs.length - 1] + 1) * 1000;
    if (!this.isFree(i, start, end)) return null;
    const a = new Anomaly({ flow: 'funds', kind, entity: i, start, end, labelEnd: end, keys: [i] });
    a.times = offs.map((o) => start + o * 1000);
    const minutes = Math.round((end - start) / MINUTE);
    if (kind === 'velocity_burst') {
      // Card testing / compromised card: many small card (or online) payments to 1–3 merchants.
      a.p0 = rng.chance(0.7) ? CARD : ONLINE;
      const nm = rng.intRange(1, 3);
      a.parties = [];
      for (let k = 0; k < nm; k++) {
        const cat = a.p0 === CARD ? CARD_CATEGORIES[rng.int(CARD_CATEGORIES.length)][0] : 'online-shop';
        a.parties.push(`M-${cat}-${1 + rng.int(this.merchantsPerCategory)}`);
      }
      this.label(a, i, `velocity burst on ${acct.id}: ${count} ${CHANNELS[a.p0]} payments in ${minutes} min`);
    } else if (kind === 'structuring') {
      const np = rng.intRange(1, 3);
      a.parties = [];
      for (let k = 0; k < np; k++) a.parties.push(this.randomAccount(rng, i));
      this.label(
        a,
        i,
        `structuring on ${acct.id}: ${count} transfers of 9000–9990 EUR to ${np} counterpart${np > 1 ? 'ies' : 'y'} over ${(minutes / 60).toFixed(1)} h`,
      );
    } else {
      this.label(a, i, `fan-out on ${acct.id}: ${count} transfers to ${count} new counterparties in ${minutes} min`);
    }
    return a;
  }

  // ---------------------------------------------------------------- generation

  protected tick(t: number): void {
    const rng = this.rng;
    const batch = this.batch;
    batch.length = 0;
    const m = minuteOfDay(t);
    const perMinute = (isWeekend(t) ? WE_ACTIVITY[m] : WD_ACTIVITY[m]) / 60;
    const accounts = this.accounts;
    for (let i = 0; i < accounts.length; i++) {
      const acct = accounts[i];
      const k = rng.poisson(acct.rate * perMinute);
      for (let j = 0; j < k; j++) {
        const ts = t + rng.int(60) * 1000;
        let cp: string;
        let ch: number;
        if (rng.next() < NEW_COUNTERPARTY) {
          ch = this.randomCounterparty(rng, i);
          cp = this.cpTmp;
          acct.seen.add(cp);
        } else {
          const r = acct.zipf.sample(rng);
          cp = acct.habitual[r];
          ch = acct.habitualCh[r];
        }
        batch.push({ ts, acct: i, cp, ch, amount: this.amount(rng, ch, acct.amountFactor) });
      }
    }
    const tickEnd = t + MINUTE;
    for (let j = 0; j < this.active.length; j++) {
      const a = this.active[j];
      const times = a.times!;
      while (a.next < times.length && times[a.next] < tickEnd) {
        const ts = times[a.next++];
        if (ts < t) continue;
        this.anomalyPayment(a, ts, batch);
      }
    }
    if (batch.length > 1) batch.sort(byTs);
    for (let j = 0; j < batch.length; j++) {
      const p = batch[j];
      this.emit(p.ts, {
        payment_id: `p-${pad(++this.paymentSeq, 6)}`,
        account: accounts[p.acct].id,
        counterparty: p.cp,
        amount: p.amount,
        currency: 'EUR',
        channel: CHANNELS[p.ch],
        ts: p.ts / 1000,
      });
    }
  }

  private anomalyPayment(a: Anomaly, ts: number, out: Pending[]): void {
    const rng = this.rng;
    const acct = this.accounts[a.entity];
    if (a.kind === 'velocity_burst') {
      const cp = a.parties![rng.int(a.parties!.length)];
      acct.seen.add(cp);
      let amount = round2(rng.lognormal(25, 0.7));
      if (amount < 1) amount = 1;
      out.push({ ts, acct: a.entity, cp, ch: a.p0, amount });
    } else if (a.kind === 'structuring') {
      const cp = a.parties![rng.int(a.parties!.length)];
      acct.seen.add(cp);
      out.push({ ts, acct: a.entity, cp, ch: TRANSFER, amount: round2(rng.range(9000, 9990)) });
    } else {
      // fan_out: every payment to a counterparty the account has never paid before.
      let cp = this.randomAccount(rng, a.entity);
      for (let guard = 0; acct.seen.has(cp) && guard < 100; guard++) cp = this.randomAccount(rng, a.entity);
      acct.seen.add(cp);
      out.push({ ts, acct: a.entity, cp, ch: TRANSFER, amount: this.amount(rng, TRANSFER, 0.6) });
    }
  }
}

function byTs(a: Pending, b: Pending): number {
  return a.ts - b.ts;
}
