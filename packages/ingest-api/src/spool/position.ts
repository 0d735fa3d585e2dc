/** A byte position in the spool: segment sequence number and offset within it. */
export interface SpoolPosition {
  seq: number;
  offset: number;
}

export function comparePositions(a: SpoolPosition, b: SpoolPosition): number {
  return a.seq === b.seq ? a.offset - b.offset : a.seq - b.seq;
}
