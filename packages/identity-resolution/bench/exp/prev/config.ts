/**
 * Per-workspace configuration: one schema (types derive from it), defaults in one constant
 * (identity-rules.md, "Default configuration"), validated once and frozen.
 */
import { z } from 'zod';
import { compileBlocklist, typedKey, type CompiledBlocklist } from './blocklist.js';
import { NORMALIZERS, normalizeText, normalizeValue, type NormalizerName } from './normalizers.js';

/** Every default of the package, as documented in the README. */
export const DEFAULT_IDENTITY_OPTIONS = deepFreeze({
  types: {
    user_id: { priority: 1, limit: 1, normalizer: 'exact' },
    wechat_unionid: { priority: 2, limit: 1, normalizer: 'exact' },
    email: { priority: 3, limit: 5, normalizer: 'email' },
    phone: { priority: 4, limit: 5, normalizer: 'phone' },
    wechat_openid: { priority: 5, limit: 5, normalizer: 'scoped' },
    device_id: { priority: 6, limit: 5, normalizer: 'uuid' },
    anonymous_id: { priority: 7, limit: 5, normalizer: 'uuid' },
  },
  maxMergesPerProfile: 100,
  maxIdentifiersPerProfile: 1_000,
  blocklist: [],
  setOnceTraits: [],
  traitEventTypes: ['identify', 'group'],
  /** Custom types added through `types` use this normalizer unless they name one. */
  customNormalizer: 'exact',
} as const);

/** Types the extraction and alias rules rely on; they can be tuned but not disabled. */
const REQUIRED_TYPES = ['user_id', 'anonymous_id'];

const positiveInt = z.number().int().positive();
const typeName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must match ^[a-z][a-z0-9_]{0,63}$');

const typeOptionsSchema = z.strictObject({
  priority: positiveInt.optional(),
  limit: positiveInt.optional(),
  normalizer: z.enum(NORMALIZERS).optional(),
});

const blocklistEntrySchema = z.union([
  z.string(),
  z.strictObject({ type: typeName, value: z.string() }),
]);

export const identityOptionsSchema = z.strictObject({
  /** Overrides per type, new custom types, or `false` to disable a built-in type. */
  types: z.record(typeName, z.union([typeOptionsSchema, z.literal(false)])).optional(),
  maxMergesPerProfile: z.number().int().nonnegative().optional(),
  maxIdentifiersPerProfile: positiveInt.optional(),
  blocklist: z.array(blocklistEntrySchema).optional(),
  setOnceTraits: z.array(z.string().min(1)).optional(),
  traitEventTypes: z.array(z.string().min(1)).optional(),
});

/** Public options of a workspace; every field optional, see DEFAULT_IDENTITY_OPTIONS. */
export type IdentityOptions = z.input<typeof identityOptionsSchema>;
export type IdentifierTypeOptions = z.input<typeof typeOptionsSchema>;
export type BlocklistEntry = z.input<typeof blocklistEntrySchema>;

export interface IdentifierTypeConfig {
  readonly name: string;
  /** 1 = strongest; identifiers are walked by (priority, type, value). */
  readonly priority: number;
  /** Most identifiers of this type in one profile. */
  readonly limit: number;
  readonly normalizer: NormalizerName;
}

/** Resolved, validated, frozen configuration. Build it with {@link resolveIdentityConfig}. */
export interface IdentityConfig {
  readonly types: ReadonlyMap<string, IdentifierTypeConfig>;
  readonly maxMergesPerProfile: number;
  readonly maxIdentifiersPerProfile: number;
  readonly blocklist: CompiledBlocklist;
  readonly setOnceTraits: ReadonlySet<string>;
  readonly traitEventTypes: ReadonlySet<string>;
}

export class IdentityConfigError extends Error {
  override readonly name = 'IdentityConfigError';
}

export function isIdentityConfigError(error: unknown): error is IdentityConfigError {
  return error instanceof IdentityConfigError;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function fail(path: string, message: string): never {
  throw new IdentityConfigError(`invalid identity option ${path}: ${message}`);
}

function resolveTypes(overrides: IdentityOptions['types'] = {}): Map<string, IdentifierTypeConfig> {
  const defaults: Record<string, IdentifierTypeOptions> = DEFAULT_IDENTITY_OPTIONS.types;
  const types = new Map<string, IdentifierTypeConfig>();
  for (const name of new Set([...Object.keys(defaults), ...Object.keys(overrides)])) {
    const override = overrides[name];
    if (override === false) {
      if (REQUIRED_TYPES.includes(name)) fail(`types.${name}`, 'this type cannot be disabled');
      continue;
    }
    const base = defaults[name];
    const priority = override?.priority ?? base?.priority;
    const limit = override?.limit ?? base?.limit;
    if (priority === undefined) fail(`types.${name}.priority`, 'required for a custom identifier type');
    if (limit === undefined) fail(`types.${name}.limit`, 'required for a custom identifier type');
    const normalizer = override?.normalizer ?? base?.normalizer ?? DEFAULT_IDENTITY_OPTIONS.customNormalizer;
    types.set(name, Object.freeze({ name, priority, limit, normalizer }));
  }
  return types;
}

function resolveBlocklist(entries: readonly BlocklistEntry[], types: ReadonlyMap<string, IdentifierTypeConfig>) {
  const anyType: string[] = [];
  const typed: string[] = [];
  entries.forEach((entry, index) => {
    if (typeof entry === 'string') {
      anyType.push(normalizeText(entry).toLowerCase());
      return;
    }
    const type = types.get(entry.type);
    if (type === undefined) fail(`blocklist[${index}].type`, `unknown identifier type "${entry.type}"`);
    const text = normalizeText(entry.value);
    const normalized = text === '' ? undefined : normalizeValue(type.normalizer, text);
    if (typeof normalized !== 'string') fail(`blocklist[${index}].value`, `not a valid ${entry.type}`);
    typed.push(typedKey(entry.type, normalized));
  });
  return compileBlocklist(anyType, typed);
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly errors?: readonly (readonly Issue[])[];
}

/** For unions (`{...} | false`), report the issue inside the branch that got furthest, with its full path. */
function deepestIssue(issue: Issue | undefined): { path: readonly PropertyKey[]; message: string } {
  if (issue === undefined) return { path: [], message: 'invalid' };
  const branches = issue.code === 'invalid_union' ? (issue.errors ?? []) : [];
  let best: { path: readonly PropertyKey[]; message: string } = issue;
  for (const branch of branches) {
    const inner = deepestIssue(branch[0]);
    if (inner.path.length > 0 && best === issue) best = { path: [...issue.path, ...inner.path], message: inner.message };
  }
  return best;
}

/** Validate workspace options (throws IdentityConfigError naming the option) and resolve defaults. */
export function resolveIdentityConfig(options: IdentityOptions = {}): IdentityConfig {
  const parsed = identityOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const { path, message } = deepestIssue(parsed.error.issues[0]);
    fail(path.length > 0 ? path.map(String).join('.') : '(root)', message);
  }
  const o = parsed.data;
  const types = resolveTypes(o.types);
  return Object.freeze({
    types,
    maxMergesPerProfile: o.maxMergesPerProfile ?? DEFAULT_IDENTITY_OPTIONS.maxMergesPerProfile,
    maxIdentifiersPerProfile: o.maxIdentifiersPerProfile ?? DEFAULT_IDENTITY_OPTIONS.maxIdentifiersPerProfile,
    blocklist: resolveBlocklist(o.blocklist ?? DEFAULT_IDENTITY_OPTIONS.blocklist, types),
    setOnceTraits: new Set(o.setOnceTraits ?? DEFAULT_IDENTITY_OPTIONS.setOnceTraits),
    traitEventTypes: new Set(o.traitEventTypes ?? DEFAULT_IDENTITY_OPTIONS.traitEventTypes),
  });
}
