/**
 * A definition that validates but cannot be compiled: a missing or cyclic
 * segment reference, or too many conditions once references are inlined.
 * `path` locates the offending part, relative to the definition
 * (e.g. `["conditions", 1, "segmentId"]`).
 */
export class SegmentCompileError extends Error {
  override readonly name = 'SegmentCompileError';
  constructor(
    message: string,
    readonly path: Array<string | number>,
  ) {
    super(message);
  }
}

export function isSegmentCompileError(err: unknown): err is SegmentCompileError {
  return err instanceof SegmentCompileError;
}
