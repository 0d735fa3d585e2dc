/**
 * Exponential backoff with jitter: the delay doubles per attempt up to `max`,
 * and a random half of it is taken off so that many clients failing at once
 * (an API restart) do not come back at the same instant.
 */
export function backoff({ attempt, base, max, random = Math.random }: { attempt: number; base: number; max: number; random?: () => number }): number {
  const delay = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return delay / 2 + (random() * delay) / 2;
}
