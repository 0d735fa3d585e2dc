/**
 * UUID v4 from `crypto.getRandomValues`, which unlike `crypto.randomUUID` also
 * exists on plain-http pages (not a secure context). Each `0`/`1` of the
 * template becomes a random hex digit, the `8` a variant digit (8 to b).
 */
export const uuid = (): string => {
  const random = crypto.getRandomValues(new Uint8Array(31));
  let i = 0;
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (+c ^ (random[i++]! & (15 >> (+c / 4)))).toString(16));
};
