import { z } from 'zod';
import { isPlainObject, type JsonObject } from './json.js';
import type { EventContext, EventInput } from './event.js';

/**
 * The batch envelope (Segment `/v1/batch`, RudderStack `/v1/batch` and beacon).
 * Events are validated one by one so that one bad event does not sink the batch.
 */
export const batchEnvelopeSchema = z.object({
  batch: z.array(z.unknown(), { error: 'expected an array of events' }),
  writeKey: z.string().optional(),
  context: z.custom<EventContext>(isPlainObject, { error: 'expected a JSON object' }).optional(),
  integrations: z.custom<JsonObject>(isPlainObject, { error: 'expected a JSON object' }).optional(),
  sentAt: z.string().optional(),
});

export type BatchEnvelope = z.output<typeof batchEnvelopeSchema>;

/** What a client POSTs to `/v1/batch`. */
export interface BatchBody {
  batch: EventInput[];
  writeKey?: string;
  sentAt?: string;
  context?: EventContext;
  integrations?: JsonObject;
}
