/**
 * The errors of this package: a message, and `path`, the location of the
 * offending part (e.g. `["conditions", 1, "segmentId"]` in a definition,
 * `["lifecycle", "churnedDays"]` in settings).
 */
export class SegmentsError extends Error {
  constructor(
    message: string,
    readonly path: Array<string | number>,
  ) {
    super(message);
  }
}

/**
 * A definition that validates but cannot be compiled: a missing or cyclic
 * segment reference, or too many conditions once references are inlined.
 */
export class SegmentCompileError extends SegmentsError {
  override readonly name = 'SegmentCompileError';
}

export function isSegmentCompileError(err: unknown): err is SegmentCompileError {
  return err instanceof SegmentCompileError;
}
