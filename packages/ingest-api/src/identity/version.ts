/**
 * Row versions for the ReplacingMergeTree identity tables: strictly increasing
 * within the process and, being time-based (µs), across restarts, so a newer
 * row always supersedes an older one for the same key.
 */
let last = 0;

export function nextVersion(): number {
  const now = Date.now() * 1000;
  last = now > last ? now : last + 1;
  return last;
}
