import type { Identifier } from '@cdp/identity-resolution';
import type { IdentityService } from '../identity/service.js';
import type { ExclusiveContext } from '../pipeline/flusher.js';
import { refreshActivity } from '../storage/activity.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { eventsElsewhere, IDENTIFIER_KEY, identifierKey, mentions, resolvePerson, textNeedles, type Subject } from './scope.js';
import { ScratchSet } from './scratch.js';
import type { SuppressionList } from './suppression.js';

/** What an erasure deletes, fixed before the first deletion so that a resumed erasure deletes the same. */
export interface ErasurePlan {
  profileIds: string[];
  identifiers: Identifier[];
  /** Events stored under another profile, or none, that carry one of the identifiers (see `eventsElsewhere`). */
  messageIds: string[];
  /**
   * The other profiles those events are stored under: their `profile_activity` rows are recomputed once the
   * events are gone. Absent in plans written before the table existed.
   */
  elsewhereProfiles?: string[];
}

export interface ErasureResult {
  profiles: number;
  identifiers: number;
  events: number;
  deadLetters: number;
}

/** Tables an erasure deletes from; each is purged physically (deleted mask applied) afterwards. */
const PURGED_TABLES = [
  'message_ids',
  'identity_warnings',
  'dead_letters',
  'events',
  'profile_activity',
  'identities',
  'profile_traits',
  'profile_merges',
  'profile_aliases',
  'profiles',
  'identity_jobs',
  'privacy_exports',
] as const;

const REDACTED_AUDIT_DETAILS = '{"redacted":"personal data erased"}';

export async function planErasure(t: ClickHouseTransport, workspaceId: string, subject: Subject): Promise<ErasurePlan> {
  const scope = await resolvePerson(t, workspaceId, subject);
  const elsewhere = await eventsElsewhere(t, workspaceId, scope);
  return { profileIds: scope.profileIds, identifiers: scope.identifiers, messageIds: elsewhere.messageIds, elsewhereProfiles: elsewhere.profileIds };
}

/**
 * Runs an erasure inside `flusher.exclusive` (no batch resolves beside it).
 * Every step is idempotent and ordered so that what a step finds rows by is
 * deleted after it (the ledger and warnings by the events' messageIds, before
 * the events): re-running a plan after a crash at any point finishes the job.
 */
export async function executeErasure(deps: {
  transport: ClickHouseTransport;
  identity: IdentityService;
  suppression: SuppressionList;
  ctx: ExclusiveContext;
  workspaceId: string;
  requestId: string;
  plan: ErasurePlan;
}): Promise<ErasureResult> {
  const { transport: t, workspaceId: w, plan } = deps;
  // 1. Later events carrying the identifiers are dropped from now on, including those still in the spool...
  await deps.suppression.add({ workspaceId: w, identifiers: plan.identifiers, requestId: deps.requestId });
  // 2. ...which is drained now, so nothing in flight lands after the deletions.
  await deps.ctx.drainSpool();

  const scratch = await ScratchSet.create(t, deps.requestId);
  try {
    const own = await t.query<{ message_id: string }>(
      'SELECT message_id FROM events WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}',
      { w, ids: plan.profileIds },
    );
    const messageIds = [...new Set([...own.map((r) => r.message_id), ...plan.messageIds])];
    const needles = textNeedles(plan);
    await scratch.add('profile', plan.profileIds);
    await scratch.add('identifier', plan.identifiers.map(identifierKey));
    await scratch.add('message', messageIds);
    await scratch.add('elsewhere', plan.messageIds);
    await scratch.add('text', needles.text);
    await scratch.add('digits', needles.digits);
    const P = scratch.set('profile');
    const M = scratch.set('message');
    const matches = (column: string) => mentions(column, { text: scratch.array('text'), digits: scratch.array('digits') });
    const ws = { w };
    const deadLetterFilter = `workspace_id = {w:String} AND (message_id IN ${M} OR ${matches('payload')})`;
    const [dead] = await t.query<{ n: number }>(`SELECT count() AS n FROM dead_letters WHERE ${deadLetterFilter}`, ws);
    // Other people's trait versions written by the erased events (an event attributed elsewhere carried her email
    // as a trait): deleted below, so those profiles' earlier versions win again, in ClickHouse and in memory.
    const others = await t.query<{ profile_id: string }>(
      `SELECT DISTINCT profile_id FROM profile_traits WHERE workspace_id = {w:String} AND message_id IN ${M} AND profile_id NOT IN ${P}`,
      ws,
    );

    // 3. Rows found through the events' messageIds, then the events, then the identity graph.
    const statements = [
      `DELETE FROM message_ids WHERE workspace_id = {w:String} AND message_id IN ${M}`,
      `DELETE FROM identity_warnings WHERE workspace_id = {w:String} AND message_id IN ${M}`,
      `DELETE FROM dead_letters WHERE ${deadLetterFilter}`,
      // By profile: the sort key, so only the parts holding the person's rows are touched...
      `DELETE FROM events WHERE workspace_id = {w:String} AND profile_id IN ${P}`,
      // ...and the few events stored under someone else that carry her identifiers, when there are any.
      ...(plan.messageIds.length === 0 ? [] : [`DELETE FROM events WHERE workspace_id = {w:String} AND message_id IN ${scratch.set('elsewhere')}`]),
      `DELETE FROM profile_activity WHERE workspace_id = {w:String} AND toString(profile_key) IN ${P}`,
      `DELETE FROM identities WHERE workspace_id = {w:String} AND (profile_id IN ${P} OR ${IDENTIFIER_KEY} IN ${scratch.set('identifier')})`,
      `DELETE FROM profile_traits WHERE workspace_id = {w:String} AND (profile_id IN ${P} OR message_id IN ${M})`,
      `DELETE FROM profile_merges WHERE workspace_id = {w:String} AND (from_profile IN ${P} OR into_profile IN ${P})`,
      `DELETE FROM profile_aliases WHERE workspace_id = {w:String} AND (profile_id IN ${P} OR canonical_id IN ${P})`,
      `DELETE FROM profiles WHERE workspace_id = {w:String} AND profile_id IN ${P}`,
      // Free text that may name the person: unmerge plans, access exports, audit details (admin SQL text).
      `DELETE FROM identity_jobs WHERE workspace_id = {w:String} AND (${matches('request')} OR ${matches('plan')} OR ${matches('result')})`,
      `DELETE FROM privacy_exports WHERE workspace_id = {w:String} AND ${matches('line')}`,
      `ALTER TABLE audit_log UPDATE details = {redacted:String}
       WHERE workspace_id IN ({w:String}, '') AND ${matches('details')} SETTINGS mutations_sync = 2`,
    ];
    for (const sql of statements) await t.command(sql, { w, redacted: REDACTED_AUDIT_DETAILS });
    // The other people whose events carrying her identifiers were deleted: their first/last activity again.
    await refreshActivity(t, w, plan.elsewhereProfiles ?? []);

    // 4. Memory: the identity graph and the dedup window forget the person.
    deps.identity.forgetPerson(w, { profileIds: [...plan.profileIds, ...others.map((o) => o.profile_id)], identifiers: plan.identifiers });
    deps.ctx.forgetMessageIds(w, messageIds);

    // 5. Physically: lightweight deletes only mask rows; rewriting the parts without them runs in the background.
    for (const table of PURGED_TABLES) await t.command(`ALTER TABLE ${table} APPLY DELETED MASK SETTINGS mutations_sync = 0`);
    return {
      profiles: plan.profileIds.length,
      identifiers: plan.identifiers.length,
      events: messageIds.length,
      deadLetters: Number(dead?.n ?? 0),
    };
  } finally {
    await scratch.drop();
  }
}
