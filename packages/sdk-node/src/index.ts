export { Analytics, type CloseOptions } from './analytics.js';
export type { AnalyticsEvents, DeliveredInfo, DropInfo, DropReason } from './events.js';
export { DEFAULT_OPTIONS, InvalidOptionsError, type Options, type OverflowPolicy, type ResolvedOptions } from './options.js';
export {
  SdkError,
  InvalidEventError,
  DeliveryError,
  RequestTimeoutError,
  HttpStatusError,
  isAnalyticsError,
  type AnalyticsError,
  type ApiError,
  type RejectedEventDetail,
} from './errors.js';
export type {
  Id,
  Identity,
  CommonParams,
  TrackParams,
  IdentifyParams,
  PageParams,
  ScreenParams,
  GroupParams,
  AliasParams,
} from './params.js';
export type { Listener } from './emitter.js';
export { SDK_NAME, SDK_VERSION } from './version.js';
