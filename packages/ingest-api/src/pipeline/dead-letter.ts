/** One `dead_letters` row: an event kept with the reason it was not stored in `events`. */
export interface DeadLetter {
  workspaceId: string;
  /** ISO-8601. */
  receivedAt: string;
  /** '' when the event had no usable messageId. */
  messageId: string;
  /** An error code of the registry, or a pipeline code (`storage_rejected`, `resolution_failed`). */
  code: string;
  reason: string;
  /** The offending field ('' for the event as a whole). */
  path: string;
  /** The event as JSON text (as received after the PII controls, or the row built from it). */
  payload: string;
  keyId: string;
}

/** The dead letter as one JSONEachRow line; every producer writes the same columns. */
export function deadLetterRow(d: DeadLetter): string {
  return JSON.stringify({
    workspace_id: d.workspaceId,
    received_at: d.receivedAt,
    message_id: d.messageId,
    code: d.code,
    reason: d.reason,
    path: d.path,
    payload: d.payload,
    key_id: d.keyId,
  });
}
