/** Shared value types of the package (no logic). */

/** The shared empty list of results and walks: most events drop, attach and merge nothing. */
export const NONE: readonly never[] = Object.freeze([]);

export type ProfileId = string;

/** A normalized identifier: `type` is a configured identifier type, `value` its normalized value. */
export interface Identifier {
  readonly type: string;
  readonly value: string;
}

/** Why an identifier did not become part of a profile. */
export type DropReason = 'blocked' | 'invalid' | 'limit_conflict' | 'cap';

/** Finer cause of a drop, stable codes for warnings and metrics. */
export type DropDetail =
  | 'not_a_string'
  | 'empty'
  | 'unknown_type'
  | 'bad_email'
  | 'bad_phone'
  | 'no_appid'
  | 'blocked_value'
  | 'workspace_blocklist'
  | 'type_limit'
  | 'owned_elsewhere'
  | 'merge_cap'
  | 'identifier_cap';

export interface DroppedIdentifier {
  readonly type: string;
  /** The normalized value when there is one, else the raw string (truncated); '' for non-strings. */
  readonly value: string;
  readonly reason: DropReason;
  readonly detail: DropDetail;
}
