export { DEFAULT_LIMITS, type Limits } from './limits.js';
export {
  ERROR_CODES,
  isErrorCode,
  type ErrorCode,
  type ErrorBody,
  type RejectedEvent,
  type IngestResponse,
} from './errors.js';
export { EVENT_TYPES, SHORT_PATHS, type EventType } from './event-types.js';
export { isPlainObject, type JsonObject, type JsonValue } from './json.js';
export {
  eventSchema,
  trackSchema,
  identifySchema,
  pageSchema,
  screenSchema,
  groupSchema,
  aliasSchema,
  parseIsoDate,
  type Event,
  type EventInput,
  type EventContext,
  type TrackEvent,
  type IdentifyEvent,
  type PageEvent,
  type ScreenEvent,
  type GroupEvent,
  type AliasEvent,
  type TrackEventInput,
  type IdentifyEventInput,
  type PageEventInput,
  type ScreenEventInput,
  type GroupEventInput,
  type AliasEventInput,
} from './event.js';
export { validateEvent, formatPath, joinPath, type EventIssue, type EventValidation } from './validate.js';
export { batchEnvelopeSchema, type BatchEnvelope, type BatchBody } from './batch.js';
