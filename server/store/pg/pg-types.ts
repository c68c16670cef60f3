import pg from 'pg';

/**
 * Type parsers for our connections: bigint (ids, counts) as a JS number
 * (every id and count we store is a safe integer), instead of node-postgres'
 * default string; json as text. Per connection, not pg's global registry.
 */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    // sum()/avg() of integers: numeric, as a number like SQLite gives.
    if (oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    // json as its text: the params codec decodes it (key order and all).
    if (oid === pg.types.builtins.JSON) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export const DAY_MS = 86_400_000;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
