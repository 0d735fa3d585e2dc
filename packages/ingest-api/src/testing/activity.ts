type Query = <T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>) => Promise<T[]>;

/**
 * `profile_activity` (first, last, dates with events) and the same figures computed from `events`, per profile and type, for tests to
 * compare: they must agree after every write path (insert, erasure, unmerge).
 */
export async function activityAndEvents(query: Query): Promise<{ activity: string[]; events: string[] }> {
  const rows = async (sql: string) => (await query<{ r: string }>(sql)).map((x) => x.r);
  return {
    activity: await rows(
      `SELECT concat(workspace_id, ' ', toString(profile_key), ' ', type, ' ', toString(min(first_at)), ' ', toString(max(last_at)), ' ',
         toString(arraySort(groupUniqArrayArray(days)))) AS r
       FROM profile_activity GROUP BY workspace_id, profile_key, type ORDER BY r`,
    ),
    events: await rows(
      `SELECT concat(workspace_id, ' ', toString(profile_key), ' ', type, ' ', toString(min(timestamp)), ' ', toString(max(timestamp)), ' ',
         toString(arraySort(groupUniqArray(toDate(timestamp, 'UTC'))))) AS r
       FROM events WHERE profile_id != '' GROUP BY workspace_id, profile_key, type ORDER BY r`,
    ),
  };
}
