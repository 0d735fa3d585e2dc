import { Random } from './random.js';

/**
 * The demo world: a wallet app. Each person is generated from (seed, index)
 * alone, as a chronological list of Segment-spec events:
 *
 * - visitors (25%): an anonymous device, a few app opens and page views;
 * - customers: anonymous app open → sign-up (identify with userId, email, often
 *   a phone, plan, country, age, KYC status) → sessions at the person's own
 *   rhythm (log-ins, top-ups, transfers and purchases with amounts, card
 *   applications, campaign messages), until their event budget runs out or
 *   the data ends — so some are new, many active, others dormant or churned;
 * - identity mixes: 30% of customers also use a second device, anonymously
 *   first, then log in there (two profiles merge); 15% left their email on the
 *   website before signing up in the app (another merge); ids differ in case
 *   and spacing the way real SDKs send them.
 */
export const DEMO_EVENTS = {
  signedUp: 'Signed Up',
  appOpened: 'App Opened',
  loggedIn: 'Logged In',
  topUp: 'Top Up Completed',
  transfer: 'Transfer Completed',
  purchase: 'Purchase Completed',
  cardSubmitted: 'Card Application Submitted',
  cardApproved: 'Card Application Approved',
  messageSent: 'Message Sent',
} as const;

/** Built-in settings that fit this world (purchases are the paid events). */
export const DEMO_SEGMENT_SETTINGS = {
  rfm: { paidEvents: [DEMO_EVENTS.purchase], moneyProperty: 'amount' },
};

export interface WorldOptions {
  seed: number;
  /** Latest event time, epoch ms. */
  end: number;
  /** Days of history before `end`. */
  days: number;
  /** Mean events per person (visitors and customers together). */
  meanEvents: number;
}

export type DemoEvent = Record<string, unknown> & { messageId: string; timestamp: string };

const DAY = 86_400_000;
const HOUR = 3_600_000;
const VISITOR_SHARE = 0.25;
const VISITOR_MEAN_EVENTS = 2.5;

const COUNTRIES = [
  ['DE', 'EUR', '+49'],
  ['FR', 'EUR', '+33'],
  ['ES', 'EUR', '+34'],
  ['IT', 'EUR', '+39'],
  ['NL', 'EUR', '+31'],
  ['GB', 'GBP', '+44'],
  ['PL', 'PLN', '+48'],
  ['CH', 'CHF', '+41'],
] as const;
const COUNTRY_WEIGHTS = [0.25, 0.15, 0.12, 0.1, 0.08, 0.15, 0.1, 0.05];
const FIRST = ['ana', 'ben', 'clara', 'david', 'eva', 'felix', 'greta', 'hugo', 'ines', 'jan', 'karla', 'luca', 'mia', 'noah', 'olga', 'paul'];
const LAST = ['muller', 'garcia', 'rossi', 'dubois', 'smith', 'nowak', 'jansen', 'meier', 'lopez', 'bianchi'];
const DOMAINS = ['mail.example', 'post.example', 'inbox.example', 'corp.example'];
const MERCHANTS = ['groceries', 'restaurants', 'travel', 'transport', 'electronics', 'fashion', 'entertainment', 'health'];
const PAGES = ['Home', 'Pricing', 'Cards', 'Security', 'Help'];
const GAPS: ReadonlyArray<readonly [number, number]> = [
  [1, 0.25],
  [2, 0.25],
  [3, 0.2],
  [7, 0.2],
  [14, 0.1],
];

/** Mean event budget of a customer so that the whole population averages `meanEvents`. */
function customerMean(meanEvents: number): number {
  return Math.max(4, (meanEvents - VISITOR_SHARE * VISITOR_MEAN_EVENTS) / (1 - VISITOR_SHARE));
}

const LIBRARY = { name: 'cdp-demo', version: '1.0.0' };

/** The events of person `index`, in time order. */
export function personEvents(world: WorldOptions, index: number): DemoEvent[] {
  const rng = Random.for(world.seed, index);
  const events: DemoEvent[] = [];
  let seq = 0;
  const start = world.end - world.days * DAY;
  // Recent sign-ups are more common than old ones; a website visit may come up to 5 days earlier.
  let t = Math.max(start + 5 * DAY, world.end - Math.pow(rng.next(), 1.3) * world.days * DAY);
  const emit = (ts: number, e: Record<string, unknown>) => {
    if (ts > world.end) return false;
    events.push({ ...e, messageId: `demo-${world.seed}-${index}-${seq++}`, timestamp: new Date(Math.floor(ts)).toISOString() } as DemoEvent);
    return true;
  };
  const deviceA = rng.uuid();
  const ctx = (device: string, os: string) => ({ library: LIBRARY, device: { type: os === 'web' ? 'browser' : 'mobile' }, os: { name: os } });
  const os = rng.weighted([['iOS', 0.45], ['Android', 0.55]] as const);

  if (rng.chance(VISITOR_SHARE)) {
    const n = Math.min(8, 1 + Math.floor(rng.exponential(VISITOR_MEAN_EVENTS - 1)));
    for (let i = 0; i < n; i++) {
      const web = rng.chance(0.5);
      const e = web
        ? { type: 'page', anonymousId: deviceA, name: rng.pick(PAGES), properties: { path: '/' }, context: ctx(deviceA, 'web') }
        : { type: 'track', anonymousId: deviceA, event: DEMO_EVENTS.appOpened, properties: {}, context: ctx(deviceA, os) };
      if (!emit(t, e)) break;
      t += rng.exponential(3 * DAY);
    }
    return events;
  }

  const [country, currency, dial] = rng.weighted(COUNTRIES.map((c, i) => [c, COUNTRY_WEIGHTS[i] as number] as const));
  const userId = `usr_${world.seed.toString(36)}_${index.toString(36)}`;
  const first = rng.pick(FIRST);
  const email = `${first}.${rng.pick(LAST)}${index}@${rng.pick(DOMAINS)}`;
  const phone = rng.chance(0.6) ? `${dial}${rng.int(100_000_000, 999_999_999)}` : undefined;
  let plan = rng.weighted([['basic', 0.7], ['plus', 0.2], ['premium', 0.1]] as const);
  const budget = Math.max(3, Math.round(rng.logNormal(customerMean(world.meanEvents), 0.8)));
  const gapDays = rng.weighted(GAPS);
  const me = { userId, anonymousId: deviceA };

  // 15%: the email was left on the website first (its own anonymous profile), merged at sign-up.
  if (rng.chance(0.15)) {
    const web = rng.uuid();
    const t0 = t - rng.int(1, 5) * DAY;
    emit(t0, { type: 'page', anonymousId: web, name: 'Pricing', properties: { path: '/pricing' }, context: ctx(web, 'web') });
    emit(t0 + 5 * 60_000, { type: 'identify', anonymousId: web, traits: { email: email.toUpperCase(), newsletter: true }, context: ctx(web, 'web') });
  }
  emit(t, { type: 'track', anonymousId: deviceA, event: DEMO_EVENTS.appOpened, properties: { first: true }, context: ctx(deviceA, os) });
  t += rng.int(1, 20) * 60_000;
  emit(t, { type: 'track', ...me, event: DEMO_EVENTS.signedUp, properties: { method: rng.pick(['email', 'apple', 'google']) }, context: ctx(deviceA, os) });
  const traits: Record<string, unknown> = {
    email,
    plan,
    country,
    age: rng.int(18, 75),
    kyc_status: 'pending',
    signup_date: new Date(Math.floor(t)).toISOString(),
    marketing_opt_in: rng.chance(0.6),
    first_name: first,
  };
  if (phone !== undefined) traits['phone'] = phone;
  emit(t + 1000, { type: 'identify', ...me, traits, context: ctx(deviceA, os) });

  const secondDevice = rng.chance(0.3) ? { id: rng.uuid(), os: rng.chance(0.5) ? 'web' : os, from: rng.int(1, 6) } : undefined;
  let device = deviceA;
  let deviceOs: string = os;
  let card = rng.chance(0.2);
  let kycPending = true;
  for (let used = 3, session = 0; used < budget; session++) {
    t += Math.max(0.1, rng.exponential(gapDays)) * DAY + rng.int(0, 12) * HOUR;
    if (t > world.end) break;
    if (secondDevice !== undefined && session === secondDevice.from) {
      // The second device: anonymous first, then a log-in that merges its profile.
      device = secondDevice.id;
      deviceOs = secondDevice.os;
      emit(t, { type: 'track', anonymousId: device, event: DEMO_EVENTS.appOpened, properties: {}, context: ctx(device, deviceOs) });
      t += 2 * 60_000;
      emit(t, { type: 'identify', userId, anonymousId: device, traits: {}, context: ctx(device, deviceOs) });
      used += 2;
    }
    const who = { userId, anonymousId: device };
    const c = ctx(device, deviceOs);
    emit(t, { type: 'track', ...who, event: DEMO_EVENTS.loggedIn, properties: {}, context: c });
    used++;
    const actions = rng.int(0, 3);
    for (let a = 0; a < actions && used < budget; a++) {
      t += rng.int(1, 15) * 60_000;
      const kind = rng.weighted([['topUp', 0.35], ['transfer', 0.25], ['purchase', 0.4]] as const);
      const amount = Math.round(rng.logNormal(kind === 'purchase' ? 35 : kind === 'topUp' ? 60 : 90, 0.9) * 100) / 100;
      const properties =
        kind === 'topUp'
          ? { amount, currency, method: rng.pick(['card', 'sepa', 'apple_pay', 'google_pay']) }
          : kind === 'transfer'
            ? { amount, currency, recipient_type: rng.pick(['contact', 'iban', 'merchant']) }
            : { amount, currency, merchant_category: rng.pick(MERCHANTS), online: rng.chance(0.4) };
      emit(t, { type: 'track', ...who, event: DEMO_EVENTS[kind], properties, context: c });
      used++;
    }
    if (card && used < budget - 1) {
      card = false;
      t += 3 * 60_000;
      emit(t, { type: 'track', ...who, event: DEMO_EVENTS.cardSubmitted, properties: { card_type: rng.pick(['virtual', 'debit', 'metal']) }, context: c });
      if (rng.chance(0.8)) emit(t + rng.int(1, 48) * HOUR, { type: 'track', ...who, event: DEMO_EVENTS.cardApproved, properties: {}, context: c });
      used += 2;
    }
    if (kycPending && session >= 1) {
      kycPending = false;
      emit(t + 60_000, { type: 'identify', ...who, traits: { kyc_status: 'verified' }, context: c });
      used++;
    } else if (rng.chance(0.02) && plan !== 'premium') {
      plan = plan === 'basic' ? 'plus' : 'premium';
      emit(t + 60_000, { type: 'identify', ...who, traits: { plan }, context: c });
      used++;
    }
    if (rng.chance(0.1)) {
      // Campaign contact, sent server-side.
      emit(t + rng.int(1, 72) * HOUR, { type: 'track', userId, event: DEMO_EVENTS.messageSent, properties: { channel: rng.pick(['email', 'push']), campaign: rng.pick(['winback', 'card_promo', 'cashback']) }, context: { library: { name: 'cdp-demo-server', version: '1.0.0' } } });
      used++;
    }
  }
  // Events were emitted with bounded look-ahead (messages, card approvals): put them in time order.
  return events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}
