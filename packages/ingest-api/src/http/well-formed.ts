/**
 * Lone UTF-16 surrogates out of parsed JSON. JSON text can carry them as escapes
 * (`"\ud800"`); JSON.parse turns those into strings no UTF-8 can encode, and a
 * row that carries one as a JSON escape is refused by ClickHouse ("missing second
 * part of surrogate pair"). Such an event would be acknowledged and its batch then
 * refused on every retry, holding back every event behind it; replaced by U+FFFD
 * (as TextEncoder and the identity library's hashing do), it is stored like any other.
 */

/** A surrogate escape in JSON text: the only way a lone surrogate reaches a parsed body (raw bytes decode to U+FFFD). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function fixString(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * `value` (parsed from `text`) with every lone surrogate in its strings and keys
 * replaced by U+FFFD, in place. Bodies without a surrogate escape, nearly all,
 * cost one scan of the text. Iterative: a deeply nested body must not overflow the stack.
 */
export function wellFormedJson(text: string, value: unknown): unknown {
  if (!SURROGATE_ESCAPE.test(text)) return value;
  if (typeof value === 'string') return fixString(value);
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'string') node[i] = fixString(v);
        else if (typeof v === 'object' && v !== null) stack.push(v);
      }
    } else if (typeof node === 'object' && node !== null) {
      const obj = node as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const v = obj[key];
        const fixedKey = fixString(key);
        if (fixedKey !== key) delete obj[key];
        obj[fixedKey] = typeof v === 'string' ? fixString(v) : v;
        if (typeof v === 'object' && v !== null) stack.push(v);
      }
    }
  }
  return value;
}
