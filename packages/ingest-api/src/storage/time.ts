/** ClickHouse renders DateTime64(3, 'UTC') as `2024-05-01 10:00:00.123`; the API speaks ISO 8601. */
export function chToIso(value: string): string {
  return value.length >= 19 && value.charAt(10) === ' ' ? `${value.slice(0, 10)}T${value.slice(11)}Z` : value;
}

/**
 * Adds a time window and a keyset cursor to a WHERE list, for pages read
 * newest first by (`timeColumn`, `idColumn`); every value is a bound parameter.
 * The cursor is the (ClickHouse-rendered time, id) of the last row of the previous page.
 */
export function addTimeWindow(
  where: string[],
  params: Record<string, unknown>,
  w: { timeColumn: string; idColumn: string; from?: number | undefined; to?: number | undefined; cursor?: { timestamp: string; messageId: string } | undefined },
): void {
  if (w.from !== undefined) {
    where.push(`${w.timeColumn} >= fromUnixTimestamp64Milli({from:Int64})`);
    params['from'] = w.from;
  }
  if (w.to !== undefined) {
    where.push(`${w.timeColumn} < fromUnixTimestamp64Milli({to:Int64})`);
    params['to'] = w.to;
  }
  if (w.cursor !== undefined) {
    where.push(`(${w.timeColumn}, ${w.idColumn}) < (toDateTime64({ct:String}, 3, 'UTC'), {ci:String})`);
    params['ct'] = w.cursor.timestamp;
    params['ci'] = w.cursor.messageId;
  }
}
