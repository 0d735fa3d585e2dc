import type { Event, EventContext, JsonObject } from '@cdp/protocol';
import { isPlainObject } from '@cdp/protocol';
import type { Logger } from 'pino';
import { ApiError } from '../http/api-error.js';
import type { KeyRecord, TenantRegistry } from '../tenancy/registry.js';
import { consentGranted, consentState, requiredCategories } from './consent.js';
import { compilePaths, hashing, removing, REMOVE, transformAt, type CompiledPath, type Transform } from './paths.js';
import { saltedHash, type WorkspaceSalts } from './salts.js';
import { parsePrivacySettings, PRIVACY_SETTINGS_KEY, type ConsentRule, type ConsentSettings, type PrivacySettings } from './settings.js';

/** How often settings that could not be compiled are tried again. */
const BROKEN_RETRY_MS = 1_000;

/** What the request path applies to each valid event of a write key. */
export interface RequestPolicy {
  /** The event to store (consent-stripped, PII removed or hashed), or undefined to drop it (consent denied). */
  apply(event: Event, context: EventContext): { event: Event; context: EventContext } | undefined;
  /** PII controls applied to a rejected event before it is written to dead_letters. */
  scrubPayload(raw: unknown): unknown;
}

interface CompiledConsent {
  rules: readonly ConsentRule[];
  onDenied: 'drop' | 'strip';
  strip: CompiledPath[];
  whenMissing: 'grant' | 'deny';
}

interface CompiledWorkspace {
  version: number;
  settings: PrivacySettings;
  /** Why the stored settings cannot be applied (ingestion answers 503 until fixed). */
  broken: string | undefined;
  /** When a broken compilation is tried again. */
  retryAt: number;
  /** Null when the workspace has neither consent rules nor PII paths: nothing to do per event. */
  pii: Array<{ path: CompiledPath; fn: Transform }> | null;
  consent: ConsentSettings | undefined;
  byKey: Map<string, RequestPolicy | undefined>;
}

/**
 * Per-workspace privacy settings, compiled once per settings version. The
 * request path asks `forKey` for every request: a workspace without consent
 * rules or PII paths costs one map lookup and gets `undefined`.
 */
export class PrivacyPolicies {
  readonly #registry: TenantRegistry;
  readonly #salts: WorkspaceSalts;
  readonly #logger: Logger;
  readonly #compiled = new Map<string, CompiledWorkspace>();

  constructor(options: { registry: TenantRegistry; salts: WorkspaceSalts; logger: Logger }) {
    this.#registry = options.registry;
    this.#salts = options.salts;
    this.#logger = options.logger;
  }

  /** The workspace's privacy settings (defaults filled in); `{}` when none or unreadable. */
  settings(workspaceId: string): PrivacySettings {
    return this.#workspace(workspaceId).settings;
  }

  /** Retention in days for new rows (0 = forever). */
  retention(workspaceId: string): { eventsDays: number; deadLettersDays: number } {
    const r = this.#workspace(workspaceId).settings.retention;
    return { eventsDays: r?.eventsDays ?? 0, deadLettersDays: r?.deadLettersDays ?? 0 };
  }

  /** The policy for events sent with this write key, or undefined when there is nothing to apply. */
  forKey(key: KeyRecord): RequestPolicy | undefined {
    const ws = this.#workspace(key.workspaceId);
    if (ws.broken !== undefined) {
      // Fail closed but retryable: clients keep the events and send them again once the settings are fixed.
      throw new ApiError('unavailable', {
        message: `The privacy settings of this workspace cannot be applied (${ws.broken}); retry later.`,
        headers: { 'retry-after': '30' },
      });
    }
    if (ws.pii === null && ws.consent === undefined) return undefined;
    if (ws.byKey.has(key.keyId)) return ws.byKey.get(key.keyId);
    const policy = buildPolicy(ws.pii ?? [], ws.consent === undefined ? undefined : consentFor(ws.consent, key.keyId));
    ws.byKey.set(key.keyId, policy);
    return policy;
  }

  #workspace(workspaceId: string): CompiledWorkspace {
    const { settings, version } = this.#registry.settings(workspaceId);
    const cached = this.#compiled.get(workspaceId);
    if (cached !== undefined && cached.version === version && (cached.broken === undefined || Date.now() < cached.retryAt)) return cached;
    const compiled = this.#compile(workspaceId, settings[PRIVACY_SETTINGS_KEY], version);
    this.#compiled.set(workspaceId, compiled);
    return compiled;
  }

  #compile(workspaceId: string, stored: unknown, version: number): CompiledWorkspace {
    const base = { version, byKey: new Map<string, RequestPolicy | undefined>(), retryAt: Date.now() + BROKEN_RETRY_MS };
    const parsed = parsePrivacySettings(stored);
    if (!parsed.ok) {
      this.#logger.error({ workspaceId, err: parsed.error }, 'stored privacy settings are invalid; ingestion for the workspace answers 503');
      return { ...base, settings: {}, broken: 'invalid settings', pii: null, consent: undefined };
    }
    const { settings } = parsed;
    const hashPaths = settings.pii?.hash ?? [];
    const salt = this.#salts.get(workspaceId);
    if (hashPaths.length > 0 && salt === undefined) {
      // Written by another process: fetch it; never store the plain values meanwhile.
      this.#salts.refresh().catch((err: unknown) => this.#logger.error({ err: (err as Error).message }, 'salt refresh failed'));
      return { ...base, settings, broken: 'hashing salt not loaded yet', pii: null, consent: undefined };
    }
    const pii = [
      ...compilePaths(settings.pii?.drop ?? []).map((path) => ({ path, fn: removing })),
      ...(salt === undefined ? [] : compilePaths(hashPaths).map((path) => ({ path, fn: hashing((text) => saltedHash(salt, text)) }))),
    ];
    const consent = settings.consent !== undefined && hasRules(settings.consent) ? settings.consent : undefined;
    return { ...base, settings, broken: undefined, pii: pii.length === 0 ? null : pii, consent };
  }
}

function hasRules(c: ConsentSettings): boolean {
  return c.rules.length > 0 || Object.values(c.sources).some((s) => (s.rules?.length ?? 0) > 0);
}

function consentFor(c: ConsentSettings, keyId: string): CompiledConsent | undefined {
  const source = c.sources[keyId] ?? {};
  const rules = source.rules ?? c.rules;
  if (rules.length === 0) return undefined;
  return {
    rules,
    onDenied: source.onDenied ?? c.onDenied,
    strip: compilePaths(source.stripPaths ?? c.stripPaths),
    whenMissing: source.whenMissing ?? c.whenMissing,
  };
}

function buildPolicy(pii: ReadonlyArray<{ path: CompiledPath; fn: Transform }>, consent: CompiledConsent | undefined): RequestPolicy | undefined {
  if (pii.length === 0 && consent === undefined) return undefined;
  return {
    apply(event, context) {
      let record: JsonObject | undefined;
      if (consent !== undefined) {
        const name = event.type === 'track' ? event.event : event.type === 'page' || event.type === 'screen' ? event.name : undefined;
        const required = requiredCategories(consent.rules, event.type, name);
        if (!consentGranted(required, consentState(context), consent.whenMissing)) {
          if (consent.onDenied === 'drop') return undefined;
          record = applyPaths({ ...event, context }, consent.strip.map((path) => ({ path, fn: removing })));
        }
      }
      if (pii.length > 0) record = applyPaths(record ?? { ...event, context }, pii);
      if (record === undefined) return { event, context };
      return { event: record as unknown as Event, context: (record['context'] ?? {}) as EventContext };
    },
    scrubPayload(raw) {
      return isPlainObject(raw) && pii.length > 0 ? applyPaths(raw, pii) : raw;
    },
  };
}

/** Applies each path to the record's `properties`/`traits`/`context`/id fields, copy on write. */
function applyPaths(record: JsonObject, paths: ReadonlyArray<{ path: CompiledPath; fn: Transform }>): JsonObject {
  let out = record;
  for (const { path, fn } of paths) {
    const current = out[path.root];
    if (current === undefined) continue;
    const next = path.segments.length === 0 ? fn(current) : transformAt(current, path.segments, fn);
    if (next === current) continue;
    if (out === record) out = { ...record };
    if (next === REMOVE) delete out[path.root];
    else out[path.root] = next;
  }
  return out;
}
