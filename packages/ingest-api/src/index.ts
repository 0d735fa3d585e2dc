export { createApp, type App, type CreateAppOptions } from './app.js';
export { DEFAULT_OPTIONS, resolveOptions, OptionsError, type Options, type ResolvedOptions } from './config/options.js';
export { optionsFromEnv } from './config/env.js';
export { ApiError } from './http/api-error.js';
export { INGEST_ROUTES } from './ingest/routes.js';
export { MIGRATIONS, migrate, type Migration } from './storage/migrations.js';
export { ChdbTransport, type ChdbTransportOptions } from './storage/chdb-transport.js';
export { HttpTransport, type HttpTransportOptions } from './storage/http-transport.js';
export { ClickHouseError, type ClickHouseTransport, type QueryParams, type QueryOptions, type InsertOptions } from './storage/transport.js';
