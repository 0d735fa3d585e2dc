/**
 * Binds every literal of a query as a ClickHouse parameter: the SQL text only
 * ever holds `{p7:Float64}` placeholders and generated identifiers, never a
 * value a user wrote.
 */
export type ParamType = 'String' | 'Float64' | 'Int64' | 'UInt32' | 'UInt8' | 'Array(String)' | 'Array(Float64)';

export class Params {
  readonly values: Record<string, unknown> = {};
  #next = 0;
  readonly #byKey = new Map<string, string>();

  /** A placeholder for `value`; equal values of the same type share one parameter. */
  bind(value: unknown, type: ParamType): string {
    const key = `${type}\u0000${JSON.stringify(value)}`;
    const existing = this.#byKey.get(key);
    if (existing !== undefined) return existing;
    const name = `p${this.#next++}`;
    this.values[name] = value;
    const placeholder = `{${name}:${type}}`;
    this.#byKey.set(key, placeholder);
    return placeholder;
  }

  /** A fixed name (workspace, now) so the SQL reads well. */
  named(name: string, value: unknown, type: ParamType): string {
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}
