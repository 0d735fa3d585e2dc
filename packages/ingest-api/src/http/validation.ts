import type { z } from 'zod';
import { formatPath } from '@cdp/protocol';
import { ApiError } from './api-error.js';

/** Parses request input with a zod schema; a failure is a 400 `invalid_request` naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatPath(issue?.path ?? [], where);
  throw new ApiError('invalid_request', {
    message: `${path === '' ? 'request' : path}: ${issue?.message ?? 'invalid'}`,
    ...(path === '' ? {} : { path }),
  });
}
