export {
  DEFAULT_IDENTITY_OPTIONS,
  IdentityConfigError,
  identityOptionsSchema,
  isIdentityConfigError,
  resolveIdentityConfig,
  type BlocklistEntry,
  type IdentifierTypeConfig,
  type IdentifierTypeOptions,
  type IdentityConfig,
  type IdentityOptions,
} from './config.js';
export { NORMALIZERS, normalizeText, type NormalizerName } from './normalizers.js';
export { BLOCKED_EMAILS, BLOCKED_VALUES } from './blocklist.js';
export { normalizeIdentifier, type NormalizeResult } from './normalize.js';
export { extractIdentifiers, type ExtractedIdentifiers, type IdentityEvent } from './extract.js';
export { defaultProfileId, type ProfileIdGenerator, type ProfileIdSeed } from './profile-id.js';
export { hashToUuid } from './hash.js';
export {
  Resolver,
  toResolveInput,
  type IdentityWarning,
  type ResolvableEvent,
  type ResolveInput,
  type ResolveResult,
  type ResolverOptions,
} from './resolver.js';
export {
  SET_ONCE_KEY,
  applyTrait,
  foldTraits,
  mergeTraits,
  traitValues,
  wins,
  type TraitState,
  type TraitVersion,
  type TraitWriteOptions,
} from './traits.js';
export type {
  AttachmentRecord,
  IdentityRecords,
  IdentitySnapshot,
  IdentityStore,
  MergeRecord,
  ProfileRecord,
  ProfileSnapshot,
  ProfileState,
  TraitRecord,
} from './store.js';
export { DEFAULT_MEMORY_STORE_OPTIONS, MemoryIdentityStore, type MemoryStoreOptions } from './memory-store.js';
export { IdentityHydrationError, hydrate, type HydrateOptions, type HydrationConflict } from './hydrate.js';
export { collectDeltas, type IdentityDeltas } from './deltas.js';
export {
  affectedProfiles,
  ownedOutside,
  recompute,
  type AffectedProfiles,
  type RecomputedRecords,
  type RecomputeOptions,
  type RecomputeResult,
} from './recompute.js';
export type { DropDetail, DroppedIdentifier, DropReason, Identifier, ProfileId } from './types.js';
