/**
 * Sorting the short lists of one event (owners to merge, changed trait keys). Array.prototype.sort
 * allocates its own sort state on every call, which costs more than sorting two or three items.
 */

/** Lists up to this long are insertion-sorted; longer ones (a merge of large profiles) use the builtin. */
const SHORT = 16;

/** Sort `list` in place and return it; `compare` as for Array.prototype.sort. */
export function sortShort<T>(list: T[], compare: (a: T, b: T) => number): T[] {
  if (list.length > SHORT) return list.sort(compare);
  for (let i = 1; i < list.length; i++) {
    const item = list[i]!;
    let j = i;
    for (; j > 0 && compare(list[j - 1]!, item) > 0; j--) list[j] = list[j - 1]!;
    list[j] = item;
  }
  return list;
}

/** Code-unit order, as Array.prototype.sort orders strings by default. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
