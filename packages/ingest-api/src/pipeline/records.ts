/**
 * Spool line format: `<header JSON>\t<row JSON>\n`. The header carries what the
 * flusher needs to route, dedupe and resolve the record without parsing the
 * row; the row is the ClickHouse JSONEachRow line, built once at request time
 * and sent to ClickHouse untouched. JSON.stringify never emits a raw tab or
 * newline, so both separators are unambiguous.
 */
import type { IdentityProjection } from '../identity/projection.js';

export const RECORD_EVENT = 'e';
export const RECORD_DEAD_LETTER = 'd';

export interface RecordHeader {
  /** Record kind. */
  k: typeof RECORD_EVENT | typeof RECORD_DEAD_LETTER;
  /** Workspace id. */
  w: string;
  /** messageId (events; dead letters when the payload had a usable one). */
  m: string;
  /** Event type (events). */
  y?: string;
  /** Event time, epoch ms (events). */
  ts?: number;
  /** What identity resolution reads (events). */
  i?: IdentityProjection;
}

export function encodeRecord(header: RecordHeader, rowJson: string): string {
  return `${JSON.stringify(header)}\t${rowJson}\n`;
}

export interface DecodedRecord {
  header: RecordHeader;
  row: string;
}

/** Splits a chunk of complete spool lines. A line that does not decode is returned in `corrupt`. */
export function decodeRecords(text: string): { records: DecodedRecord[]; corrupt: string[] } {
  const records: DecodedRecord[] = [];
  const corrupt: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) {
      const tab = text.indexOf('\t', start);
      if (tab === -1 || tab > end) corrupt.push(text.slice(start, end));
      else {
        try {
          records.push({ header: JSON.parse(text.slice(start, tab)) as RecordHeader, row: text.slice(tab + 1, end) });
        } catch {
          corrupt.push(text.slice(start, end));
        }
      }
    }
    start = end + 1;
  }
  return { records, corrupt };
}
