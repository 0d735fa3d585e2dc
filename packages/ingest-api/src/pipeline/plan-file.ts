import type { Plan, PlannedInsert } from './plan.js';

/**
 * A batch's plan as the text the spool records with the batch's intent, so a
 * crash replay inserts exactly the rows of the original attempt.
 *
 * Why not plan the batch again: planning reads the identity state from
 * ClickHouse, and after a crash in the middle of the batch's inserts that state
 * already holds part of the batch's own rows (say its profiles, not yet its
 * merges). A second plan then differs from the first, and since each insert
 * reuses its token, ClickHouse drops the second plan's rows for the tables the
 * first attempt had written and keeps them for the rest: a merge into a profile
 * that was never stored, or events whose ledger entry says they are.
 *
 * Layout, one item per line (JSONEachRow rows never hold a raw newline):
 * a JSON header (token, counts, and each insert's table, part and row count),
 * the stored dedup keys as JSON strings, then every insert's rows in order.
 */
interface Header {
  token: string;
  eventCount: number;
  duplicates: number;
  deadLetterCount: number;
  suppressed: number;
  stored: number;
  inserts: Array<{ table: string; part: string; rows: number }>;
}

export function encodePlan(plan: Plan): string {
  const header: Header = {
    token: plan.token,
    eventCount: plan.eventCount,
    duplicates: plan.duplicates,
    deadLetterCount: plan.deadLetterCount,
    suppressed: plan.suppressed,
    stored: plan.stored.length,
    inserts: plan.inserts.map((i) => ({ table: i.table, part: i.part, rows: i.lines.length })),
  };
  const parts = [JSON.stringify(header)];
  for (const key of plan.stored) parts.push(JSON.stringify(key));
  for (const insert of plan.inserts) for (const line of insert.lines) parts.push(line);
  return `${parts.join('\n')}\n`;
}

/** The plan recorded for `token`; undefined when the text is not a complete plan of that batch. */
export function decodePlan(text: string, token: string): Plan | undefined {
  try {
    return decode(text, token);
  } catch {
    return undefined;
  }
}

function decode(text: string, token: string): Plan | undefined {
  const lines = text.split('\n');
  if (lines.pop() !== '') return undefined;
  const header = JSON.parse(lines[0] ?? '') as Header;
  if (header.token !== token || !Array.isArray(header.inserts)) return undefined;
  const rows = header.inserts.reduce((n, i) => n + i.rows, 0);
  if (lines.length !== 1 + header.stored + rows) return undefined;
  const stored = lines.slice(1, 1 + header.stored).map((l) => JSON.parse(l) as string);
  let at = 1 + header.stored;
  const inserts: PlannedInsert[] = header.inserts.map((i) => {
    const insert = { table: i.table, part: i.part, lines: lines.slice(at, at + i.rows) };
    at += i.rows;
    return insert;
  });
  return {
    token,
    inserts,
    stored,
    eventCount: header.eventCount,
    duplicates: header.duplicates,
    deadLetterCount: header.deadLetterCount,
    suppressed: header.suppressed,
  };
}
