import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** Segment files are `seg-<seq>.log` with a zero-padded sequence so names sort in order. */
const SEGMENT = /^seg-(\d{16})\.log$/;

export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(16, '0')}.log`;
}

export function listSegments(dir: string): number[] {
  const seqs: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SEGMENT.exec(name);
    if (m?.[1] !== undefined) seqs.push(Number(m[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/**
 * Durably replaces a small file: write a temp file, fsync it, rename over,
 * fsync the directory. Asynchronous: these fsyncs take milliseconds to tens of
 * milliseconds while ClickHouse writes parts, time the request path must not
 * wait behind.
 */
export async function writeFileDurably(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function readJsonFile<T>(dir: string, name: string): T | undefined {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * A random id per spool directory. It prefixes insert dedup tokens so a fresh
 * spool (new data directory, same ClickHouse server) can never reuse a token
 * of an older one and have its inserts silently skipped.
 */
export async function spoolId(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const existing = readJsonFile<{ id: string }>(dir, 'spool-id.json');
  if (existing?.id !== undefined) return existing.id;
  const id = randomUUID();
  await writeFileDurably(dir, 'spool-id.json', JSON.stringify({ id }));
  return id;
}
