/**
 * Where identifiers come from in an event (identity-rules.md, "Identifiers and where they come from").
 * The event type is structural so this package does not depend on @cdp/protocol; values arrive
 * unvalidated, hence `unknown`.
 */
import type { IdentityConfig } from './config.js';
import { asText, normalizeOrDrop } from './normalize.js';
import { NONE, type DroppedIdentifier, type Identifier } from './types.js';

export interface IdentityEvent {
  readonly type: string;
  readonly userId?: unknown;
  readonly anonymousId?: unknown;
  /** Alias events only. */
  readonly previousId?: unknown;
  readonly traits?: unknown;
  readonly context?: unknown;
}

export interface ExtractedIdentifiers {
  /** Valid identifiers, deduplicated, in source order (the resolver sorts them). */
  readonly identifiers: readonly Identifier[];
  readonly dropped: readonly DroppedIdentifier[];
  /** Alias events: previousId as text; its type depends on what the store already knows (see Resolver). */
  readonly previousId?: string;
}

type Obj = Readonly<Record<string, unknown>>;

function asObject(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

interface Out {
  readonly config: IdentityConfig;
  readonly identifiers: Identifier[];
  dropped: DroppedIdentifier[] | undefined;
}

/** Not sent: SDKs send `null` for anonymous users. */
function absent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function drop(out: Out, entry: DroppedIdentifier): void {
  (out.dropped ??= []).push(entry);
}

/**
 * `null`/`undefined` mean "not sent" (SDKs send null for anonymous users) and are skipped silently, as
 * are fields of types the workspace disabled; unknown types from externalIds are reported.
 */
function add(out: Out, type: string, raw: unknown, reportUnknown = false): void {
  if (absent(raw)) return;
  if (!reportUnknown && !out.config.types.has(type)) return;
  const result = normalizeOrDrop(type, raw, out.config);
  if ('reason' in result) return drop(out, result);
  for (const seen of out.identifiers) if (seen.type === type && seen.value === result.value) return;
  out.identifiers.push(result);
}

function addExternalIds(out: Out, list: unknown): void {
  if (absent(list)) return;
  if (!Array.isArray(list)) return drop(out, { type: 'external_id', value: '', reason: 'invalid', detail: 'not_a_string' });
  for (const item of list) {
    const entry = asObject(item);
    const type = entry?.['type'];
    if (typeof type === 'string') add(out, type, entry?.['id'] ?? '', true);
    else drop(out, { type: 'external_id', value: '', reason: 'invalid', detail: 'unknown_type' });
  }
}

/** Extract and normalize the identifiers of one event. Pure: alias typing is left to the resolver. */
export function extractIdentifiers(event: IdentityEvent, config: IdentityConfig): ExtractedIdentifiers {
  // Most events carry only an anonymous id: one read instead of the walk over every source.
  const sole = extractSole(event, config);
  if (sole === undefined) return extractAll(event, config);
  return 'reason' in sole ? { identifiers: NONE, dropped: [sole] } : { identifiers: [sole], dropped: NONE };
}

/**
 * `extractIdentifiers` without the shortcut for events with a sole anonymous id: every source is read
 * in turn. Exported for the tests that check the shortcut gives the same result.
 */
export function extractAll(event: IdentityEvent, config: IdentityConfig): ExtractedIdentifiers {
  const out: Out = { config, identifiers: [], dropped: undefined };
  add(out, 'user_id', event.userId);
  add(out, 'anonymous_id', event.anonymousId);
  const context = asObject(event.context);
  if (context !== undefined) {
    const contextTraits = asObject(context['traits']);
    if (contextTraits !== undefined) {
      add(out, 'email', contextTraits['email']);
      add(out, 'phone', contextTraits['phone']);
    }
    const device = asObject(context['device']);
    if (device !== undefined) add(out, 'device_id', device['id']);
    addExternalIds(out, context['externalIds']);
  }
  // Top-level traits describe the user only on identify (on group they are the group's).
  const traits = event.type === 'identify' ? asObject(event.traits) : undefined;
  if (traits !== undefined) {
    add(out, 'email', traits['email']);
    add(out, 'phone', traits['phone']);
  }

  let previousId: string | undefined;
  if (event.type === 'alias' && !absent(event.previousId)) {
    previousId = asText(event.previousId);
    if (previousId === undefined) drop(out, { type: 'anonymous_id', value: '', reason: 'invalid', detail: 'not_a_string' });
  }
  const dropped = out.dropped ?? NONE;
  return previousId === undefined
    ? { identifiers: out.identifiers, dropped }
    : { identifiers: out.identifiers, dropped, previousId };
}

function hasContactIds(traits: Obj | undefined): boolean {
  return traits !== undefined && (!absent(traits['email']) || !absent(traits['phone']));
}

/**
 * The raw `anonymousId` of an event whose only identifier source is its anonymousId (the common
 * track/page/screen event), else undefined. Mirrors `extractAll`: every other source it reads is
 * absent, so `extractAll` would normalize this one value and nothing else (the shortcut in
 * `extractIdentifiers` relies on that; keep the two in step). Conservative where that is cheaper:
 * present values of disabled types, empty externalIds and numeric anonymous ids take the full walk.
 */
export function soleAnonymousId(event: IdentityEvent): string | undefined {
  const raw = event.anonymousId;
  if (typeof raw !== 'string' || !absent(event.userId)) return undefined;
  if (event.type === 'alias' && !absent(event.previousId)) return undefined;
  if (event.type === 'identify' && hasContactIds(asObject(event.traits))) return undefined;
  const context = asObject(event.context);
  if (context === undefined) return raw;
  if (hasContactIds(asObject(context['traits'])) || !absent(context['externalIds'])) return undefined;
  const device = asObject(context['device']);
  return device === undefined || absent(device['id']) ? raw : undefined;
}

/**
 * The identifier (or its drop) of an event whose only identifier source is its anonymousId (see
 * `soleAnonymousId`), normalized as `extractAll` would; undefined for any other event.
 */
export function extractSole(event: IdentityEvent, config: IdentityConfig): Identifier | DroppedIdentifier | undefined {
  const raw = soleAnonymousId(event);
  return raw === undefined ? undefined : normalizeOrDrop('anonymous_id', raw, config);
}
