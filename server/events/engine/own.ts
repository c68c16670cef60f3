/**
 * Own-property reads for data that came from the network (event params,
 * structured data, varbinds) and names that come from rules or templates.
 * `params.constructor`, `{toString}` or `structuredData.__proto__` must read
 * what the event carries under that name, or nothing, never a property that
 * every object inherits from Object.prototype.
 */
export function own(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}
