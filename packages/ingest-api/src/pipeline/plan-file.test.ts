import { expect, it } from 'vitest';
import { dedupKey } from './dedup.js';
import { decodePlan, encodePlan } from './plan-file.js';
import type { Plan } from './plan.js';

const plan: Plan = {
  token: 'spool-id:7:4096',
  inserts: [
    { table: 'profiles', part: 'p', lines: ['{"profile_id":"a"}'] },
    { table: 'identities', part: 'i', lines: [] },
    { table: 'events', part: 'e', lines: ['{"message_id":"m1","properties":{"note":"two\\nlines"}}', '{"message_id":"m2"}'] },
    { table: 'message_ids', part: 'm', lines: ['{"message_id":"m1"}', '{"message_id":"m2"}'] },
  ],
  // Dedup keys hold a newline between workspace and messageId.
  stored: [dedupKey('ws', 'm1'), dedupKey('ws', 'm2')],
  eventCount: 2,
  duplicates: 1,
  deadLetterCount: 0,
  suppressed: 3,
};

it('decodes what it encoded: every insert with its rows, in order, and the counts', () => {
  expect(decodePlan(encodePlan(plan), plan.token)).toEqual(plan);
  const empty: Plan = { ...plan, inserts: [], stored: [], eventCount: 0 };
  expect(decodePlan(encodePlan(empty), plan.token)).toEqual(empty);
});

it("refuses another batch's plan and incomplete or damaged text", () => {
  const text = encodePlan(plan);
  expect(decodePlan(text, 'spool-id:7:0')).toBeUndefined();
  expect(decodePlan(text.slice(0, -1), plan.token)).toBeUndefined();
  expect(decodePlan(text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1), plan.token)).toBeUndefined();
  expect(decodePlan(`${text}{"extra":1}\n`, plan.token)).toBeUndefined();
  expect(decodePlan(text.replace('"stored":2', '"stored":"x"'), plan.token)).toBeUndefined();
  expect(decodePlan('', plan.token)).toBeUndefined();
});
