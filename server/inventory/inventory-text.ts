/** Longest text kept per inventory field: an OctetString may be 64 KiB, an inventory field is a few dozen characters. */
export const INVENTORY_TEXT_MAX = 1024;

/** Text of an inventory field: null when absent or blank, trimmed, cut to INVENTORY_TEXT_MAX characters (on a code point). */
export function inventoryText(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  if (t === '') return null;
  return t.length > INVENTORY_TEXT_MAX ? Array.from(t).slice(0, INVENTORY_TEXT_MAX).join('') : t;
}
