/** ClickHouse renders DateTime64(3, 'UTC') as `2024-05-01 10:00:00.123`; the API speaks ISO 8601. */
export function chToIso(value: string): string {
  return value.length >= 19 && value.charAt(10) === ' ' ? `${value.slice(0, 10)}T${value.slice(11)}Z` : value;
}
