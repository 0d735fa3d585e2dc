export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** analytics.js short paths (`/v1/t`...) and the event type each one carries. */
export const SHORT_PATHS = {
  t: 'track',
  i: 'identify',
  p: 'page',
  s: 'screen',
  g: 'group',
  a: 'alias',
} as const satisfies Record<string, EventType>;
