/**
 * Default ingestion limits. They match Segment's documented limits so that
 * clients tuned for Segment never hit a different wall here.
 */
export const DEFAULT_LIMITS = {
  /** Largest single event, serialized, in bytes. */
  maxEventBytes: 32 * 1024,
  /** Largest request body after decompression, in bytes. */
  maxBodyBytes: 500 * 1024,
  /** Most events in one batch. */
  maxBatchEvents: 2_500,
  /** Longest accepted messageId (the dedup key). */
  maxMessageIdLength: 100,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };
