/**
 * Zod-free entry point: constants and types the browser SDK may import
 * without pulling the schema library into its bundle.
 */
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorBody, type RejectedEvent, type IngestResponse } from './errors.js';
export { EVENT_TYPES, SHORT_PATHS, type EventType } from './event-types.js';
