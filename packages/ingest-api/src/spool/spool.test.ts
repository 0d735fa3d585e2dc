import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { segmentName } from './files.js';
import { Spool, SpoolFullError, type SpoolBatch } from './spool.js';

/**
 * Holds the close of a segment the writer opened (flag 'wx') until the test
 * releases it, so a read can be made while a rotation is half done. The
 * spool's own code runs unchanged.
 */
const closeGate = vi.hoisted(() => ({ armed: false, started: () => {}, release: Promise.resolve() }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const fh = await actual.open(...args);
    if (closeGate.armed && args[1] === 'wx') {
      const close = fh.close.bind(fh);
      fh.close = async () => {
        closeGate.started();
        await closeGate.release;
        return close();
      };
    }
    return fh;
  };
  return { ...actual, open };
});

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cdp-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const open = (dir: string, o: Partial<{ maxSegmentBytes: number; maxBacklogBytes: number }> = {}) =>
  Spool.open({ dir, maxSegmentBytes: o.maxSegmentBytes ?? 1 << 20, maxBacklogBytes: o.maxBacklogBytes ?? 1 << 30 });

async function drainAll(spool: Spool, maxBytes = 1 << 20): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const batch = await spool.next(maxBytes);
    if (batch === undefined) return lines;
    await spool.begin(batch);
    lines.push(...batch.text.split('\n').filter((l) => l !== ''));
    await spool.commit(batch);
  }
}

describe('Spool', () => {
  it('acknowledges appends only once durable, and reads them back in order', async () => {
    const spool = await open(freshDir());
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(`line-${i}\n`)));
    expect(spool.backlogBytes).toBeGreaterThan(0);
    const lines = await drainAll(spool);
    expect(lines).toHaveLength(200);
    expect(new Set(lines).size).toBe(200);
    expect(spool.backlogBytes).toBe(0);
    expect(spool.lagMs).toBe(0);
    await spool.close();
  });

  it('loses nothing when the flusher reads while the writer seals a segment', async () => {
    // Regression: the writer switched to the next segment, then awaited closing the old one before
    // recording its final size; a read in that window took the old segment for gone and skipped (and
    // deleted) its unread bytes, which also left a backlog that never drained.
    // Armed before the spool opens: its first segment's handle is wrapped too (closes pass until a test gate is set).
    Object.assign(closeGate, { armed: true, started: () => {}, release: Promise.resolve() });
    let release = () => {};
    const spool = await open(freshDir(), { maxSegmentBytes: 1000 });
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line-${String(from + i).padStart(4, '0')}\n`);
    const seen: string[] = [];
    const read = async (maxBytes: number) => {
      const batch = await spool.next(maxBytes);
      if (batch === undefined) return false;
      await spool.begin(batch);
      seen.push(...batch.text.split('\n').filter((l) => l !== ''));
      await spool.commit(batch);
      return true;
    };
    try {
      await Promise.all(lines(0, 50).map((l) => spool.append(l))); // 550 bytes: no rotation yet
      await read(100); // the reader is inside the live segment, with bytes left to read
      let started!: () => void;
      const closing = new Promise<void>((resolve) => (started = resolve));
      Object.assign(closeGate, { started, release: new Promise<void>((resolve) => (release = resolve)) });
      const burst = Promise.all(lines(50, 100).map((l) => spool.append(l))); // past 1000 bytes: the segment is sealed
      await closing; // the writer is closing the old segment
      while (await read(100)); // reads made now must still see its unread bytes
      release();
      await burst;
    } finally {
      closeGate.armed = false;
      release();
    }
    while (await read(100));
    expect(seen).toEqual(lines(0, 150).map((l) => l.trim()));
    expect(spool.backlogBytes).toBe(0);
    await spool.close();
  });

  it('group-commits concurrent appends into few writes', async () => {
    const spool = await open(freshDir());
    // 500 concurrent appends made in one tick share the fsyncs of at most a couple of writes.
    await Promise.all(Array.from({ length: 500 }, (_, i) => spool.append(`x${i}\n`)));
    const first = await spool.next(1 << 20);
    expect(first?.text.split('\n').filter(Boolean)).toHaveLength(500);
    await spool.close();
  });

  it('survives a restart: uncommitted records come back, committed ones do not', async () => {
    const dir = freshDir();
    let spool = await open(dir);
    for (let i = 0; i < 10; i++) await spool.append(`a${i}\n`);
    const batch = (await spool.next(1 << 20)) as SpoolBatch;
    await spool.begin(batch);
    await spool.commit(batch);
    for (let i = 0; i < 5; i++) await spool.append(`b${i}\n`);
    await spool.close();
    spool = await open(dir);
    expect(await drainAll(spool)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    await spool.close();
  });

  it('replays an in-flight batch after a crash with the same range and token', async () => {
    const dir = freshDir();
    let spool = await open(dir);
    for (let i = 0; i < 4; i++) await spool.append(`e${i}\n`);
    const inflight = (await spool.next(1 << 20)) as SpoolBatch;
    await spool.begin(inflight);
    // More data arrives after the batch was cut, then the process dies before commit.
    await spool.append('late\n');
    await spool.close();
    spool = await open(dir);
    const replay = (await spool.next(1 << 20)) as SpoolBatch;
    expect(replay.replay).toBe(true);
    expect(replay.token).toBe(inflight.token);
    expect(replay.text).toBe(inflight.text);
    await spool.begin(replay);
    await spool.commit(replay);
    expect(await drainAll(spool)).toEqual(['late']);
    await spool.close();
  });

  it('hands a crash replay the text recorded for it, and only that batch\'s; records are deleted once committed', async () => {
    const dir = freshDir();
    const records = () => readdirSync(dir).filter((f) => f.startsWith('record-'));
    let spool = await open(dir);
    await spool.append('e0\n');
    const first = (await spool.next(1 << 20)) as SpoolBatch;
    await spool.begin(first, spool.record(first, 'plan of the first batch\n'));
    expect(records()).toHaveLength(1);
    await spool.commit(first);
    // It holds the batch's rows (personal data): gone once the batch is committed.
    expect(records()).toEqual([]);
    await spool.append('e1\ne2\n');
    const inflight = (await spool.next(4)) as SpoolBatch;
    await spool.begin(inflight, spool.record(inflight, 'plan 1\n'));
    // A retry of the same batch in the same run keeps its intent and record.
    const elsewhere = spool.record({ ...inflight, start: { seq: 99, offset: 0 } }, 'elsewhere\n');
    await spool.begin(inflight, elsewhere);
    await elsewhere;
    // The next batch's record written ahead, then the process dies before that batch begins.
    const ahead = (await spool.next(1 << 20)) as SpoolBatch;
    await spool.record(ahead, 'plan of a batch never begun\n');
    await spool.close();

    spool = await open(dir);
    expect(records()).toEqual([`record-${inflight.start.seq}-${inflight.start.offset}.txt`]);
    expect(spool.replayPending).toBe(true);
    const replay = (await spool.next(1 << 20)) as SpoolBatch;
    expect(spool.replayPending).toBe(false);
    expect(replay).toMatchObject({ replay: true, token: inflight.token, text: 'e1\n', recorded: 'plan 1\n' });
    await spool.begin(replay);
    await spool.commit(replay);
    expect(records()).toEqual([]);
    const next = (await spool.next(1 << 20)) as SpoolBatch;
    expect(next).toMatchObject({ replay: false, text: 'e2\n' });
    expect(next.recorded).toBeUndefined();
    await spool.close();
  });

  it('replays without a recorded text when the intent names none', async () => {
    const dir = freshDir();
    let spool = await open(dir);
    await spool.append('e1\n');
    const b = (await spool.next(1 << 20)) as SpoolBatch;
    // Recorded as an older version did: range and token only.
    await spool.begin(b);
    await spool.close();
    spool = await open(dir);
    const replay = (await spool.next(1 << 20)) as SpoolBatch;
    expect(replay).toMatchObject({ replay: true, token: b.token });
    expect(replay.recorded).toBeUndefined();
    await spool.close();
  });

  it('hands out the next batch before the previous one commits; commits move the checkpoint in order', async () => {
    const dir = freshDir();
    let spool = await open(dir);
    await spool.append('one\n');
    const b1 = (await spool.next(1 << 20)) as SpoolBatch;
    await spool.append('two\n');
    const b2 = (await spool.next(1 << 20)) as SpoolBatch;
    expect([b1.text, b2.text]).toEqual(['one\n', 'two\n']);
    expect(b2.token).not.toBe(b1.token);
    expect(spool.unreadBytes).toBe(0);
    expect(spool.backlogBytes).toBe(8);
    await spool.begin(b1);
    await spool.commit(b1);
    expect(spool.backlogBytes).toBe(4);
    await spool.close();
    // b2 was handed out but never committed: it comes back after a restart.
    spool = await open(dir);
    expect(await drainAll(spool)).toEqual(['two']);
    await spool.close();
  });

  it('skips a torn, never-acknowledged tail of a segment', async () => {
    const dir = freshDir();
    let spool = await open(dir);
    await spool.append('ok1\nok2\n');
    await spool.close();
    // Simulate a crash in the middle of a write: a partial line with no newline.
    const [seg] = readdirSync(dir).filter((f) => f.startsWith('seg-'));
    appendFileSync(join(dir, seg as string), '{"partial');
    spool = await open(dir);
    await spool.append('ok3\n');
    expect(await drainAll(spool)).toEqual(['ok1', 'ok2', 'ok3']);
    await spool.close();
  });

  it('rotates segments and deletes the consumed ones', async () => {
    const dir = freshDir();
    const spool = await open(dir, { maxSegmentBytes: 64 });
    for (let i = 0; i < 20; i++) await spool.append(`${'x'.repeat(30)}${i}\n`);
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeGreaterThan(3);
    const lines = await drainAll(spool, 100);
    expect(lines).toHaveLength(20);
    expect(lines[19]).toMatch(/19$/);
    // Only the active segment remains.
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-'))).toHaveLength(1);
    expect(existsSync(join(dir, segmentName(1)))).toBe(false);
    await spool.close();
  });

  it('refuses appends while the backlog is above its cap', async () => {
    const spool = await open(freshDir(), { maxBacklogBytes: 10 });
    await spool.append('0123456789AB\n');
    await expect(spool.append('more\n')).rejects.toBeInstanceOf(SpoolFullError);
    await drainAll(spool);
    await expect(spool.append('again\n')).resolves.toBeUndefined();
    await spool.close();
  });

  it('waitForBatch returns on size, on age, and when stopped', async () => {
    const spool = await open(freshDir());
    const t0 = Date.now();
    await spool.append('a\n');
    await spool.waitForBatch(1 << 20, 50);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    await spool.waitForBatch(1, 10_000);
    const waiting = spool.waitForBatch(1 << 20, 60_000);
    spool.stopWaiting();
    await waiting;
    await spool.close();
  });
});
