/**
 * Profile ids are a pure function of the creating event, so a replay after a crash or a recompute from
 * stored events yields the same ids.
 */
import { hashToUuid } from './hash.js';
import type { Identifier, ProfileId } from './types.js';

export interface ProfileIdSeed {
  /** messageId of the event creating the profile. */
  readonly messageId: string;
  /** Its first kept identifier (after sorting by priority). */
  readonly identifier: Identifier;
  /** 0, or the retry number when the id was already taken (a collision). */
  readonly attempt: number;
}

export type ProfileIdGenerator = (seed: ProfileIdSeed) => ProfileId;

/** UUID-shaped MurmurHash3-128 of messageId, identifier type and value (workspace-independent). */
export const defaultProfileId: ProfileIdGenerator = ({ messageId, identifier, attempt }) =>
  hashToUuid(`${messageId}\u0000${identifier.type}\u0000${identifier.value}${attempt > 0 ? `\u0000${attempt}` : ''}`);
