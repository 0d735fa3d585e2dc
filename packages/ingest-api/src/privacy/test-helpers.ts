/**
 * TEST ONLY. Small HTTP helpers shared by the privacy integration tests
 * (in-process servers and child processes alike: only a base URL and keys).
 */
export interface PrivacyTarget {
  url: string;
  secretKey: string;
  adminKey: string;
}

export interface RequestView {
  requestId: string;
  type: string;
  status: string;
  result: Record<string, unknown> | null;
  error: string | null;
  export?: string;
}

export async function postPrivacyRequest(target: PrivacyTarget, body: Record<string, unknown>): Promise<{ status: number; body: RequestView }> {
  const res = await fetch(`${target.url}/v1/privacy/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as RequestView };
}

/** Polls a request until it is done or failed. */
export async function waitForRequest(target: PrivacyTarget, requestId: string, timeoutMs = 30_000): Promise<RequestView> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${target.url}/v1/privacy/requests/${requestId}`, { headers: { authorization: `Bearer ${target.secretKey}` } });
    const view = (await res.json()) as RequestView;
    if (view.status === 'done' || view.status === 'failed') return view;
    if (Date.now() > until) throw new Error(`request ${requestId} still ${view.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs admin SQL (read-only) and returns the rows. */
export async function adminSql<T>(target: PrivacyTarget, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const res = await fetch(`${target.url}/v1/admin/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, params }),
  });
  if (res.status !== 200) throw new Error(`admin SQL failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { rows: T[] }).rows;
}

/**
 * Searches every table and view of the current database, every string column,
 * for each needle (case-insensitively); returns `table.column: needle` hits.
 */
export async function findEverywhere(target: PrivacyTarget, needles: readonly string[]): Promise<string[]> {
  const columns = await adminSql<{ table: string; name: string }>(
    target,
    "SELECT table, name FROM system.columns WHERE database = currentDatabase() AND (type LIKE '%String%' OR type LIKE '%UUID%') ORDER BY table, name",
  );
  const byTable = new Map<string, string[]>();
  for (const { table, name } of columns) byTable.set(table, [...(byTable.get(table) ?? []), name]);
  const hits: string[] = [];
  // Names come from the catalog, not from requests; quoted all the same.
  const quote = (name: string) => `\`${name.replace(/`/g, '')}\``;
  for (const [table, names] of byTable) {
    const perColumn = names.map(
      (c) => `arrayMap(n -> concat('${c.replace(/'/g, '')}: ', n), arrayFilter(n -> positionCaseInsensitiveUTF8(toString(${quote(c)}), n) > 0, {needles:Array(String)}))`,
    );
    const rows = await adminSql<{ hit: string }>(target, `SELECT DISTINCT arrayJoin(arrayConcat(${perColumn.join(', ')})) AS hit FROM ${quote(table)}`, { needles });
    for (const r of rows) hits.push(`${table}.${r.hit}`);
  }
  return hits;
}
