/**
 * The events search language (see the server's event-search.parser.ts and the
 * README), evaluated on one live event so the console shows live what the
 * server's full-text search returns for history: words and "phrases" (all of
 * them), prefix*, host:/app:/msg: fields, type: (the whole type, exact or
 * prefix*), -exclusions. Words are runs of letters and digits, compared
 * without case and accents, like the server's tokenizer.
 */
import type { StoredEvent } from '@contracts/events';

interface Term {
  exclude: boolean;
  field: 'host' | 'app' | 'msg' | 'type' | null;
  words: string[];
  text: string;
  prefix: boolean;
}

const FIELD = /^(host|app|type|msg|message):(?=\S)/i;
const SPACE = /\s/;

/** Lower case, no accents, split into words. */
export function words(s: unknown): string[] {
  if (typeof s !== 'string' && typeof s !== 'number') return [];
  return String(s).normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}\p{Co}]+/gu) ?? [];
}

function terms(q: string): Term[] {
  const out: Term[] = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && SPACE.test(q[i]!)) i++;
    if (i >= q.length) break;
    let exclude = false;
    if (q[i] === '-' && i + 1 < q.length && !SPACE.test(q[i + 1]!)) {
      exclude = true;
      i++;
    }
    let field: Term['field'] = null;
    const f = FIELD.exec(q.slice(i));
    if (f) {
      const name = f[1]!.toLowerCase();
      field = name === 'message' ? 'msg' : (name as Term['field']);
      i += f[0].length;
    }
    let text: string;
    let prefix = false;
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      text = q.slice(i + 1, close < 0 ? q.length : close);
      i = close < 0 ? q.length : close + 1;
      if (q[i] === '*') {
        prefix = true;
        i++;
      }
    } else {
      const start = i;
      while (i < q.length && !SPACE.test(q[i]!)) i++;
      text = q.slice(start, i);
      if (text.endsWith('*')) {
        prefix = true;
        text = text.replace(/\*+$/, '');
      }
    }
    const w = words(text);
    if (w.length) out.push({ exclude, field, words: w, text, prefix });
  }
  return out;
}

/** Whether `phrase` occurs as consecutive words of `hay` (the last one as a prefix when asked). */
function hasPhrase(hay: string[], phrase: string[], prefix: boolean): boolean {
  for (let i = 0; i + phrase.length <= hay.length; i++) {
    let ok = true;
    for (let k = 0; k < phrase.length && ok; k++) {
      const last = k === phrase.length - 1;
      ok = prefix && last ? hay[i + k]!.startsWith(phrase[k]!) : hay[i + k] === phrase[k];
    }
    if (ok) return true;
  }
  return false;
}

function values(params: Record<string, unknown>): string[] {
  const out: string[] = [];
  const vbs = params.varbinds;
  if (Array.isArray(vbs)) {
    for (const vb of vbs as { oid?: string; value?: unknown; encoding?: string }[]) {
      if (vb && vb.encoding !== 'hex' && vb.oid !== '1.3.6.1.2.1.1.3.0' && vb.oid !== '1.3.6.1.6.3.1.1.4.1.0') out.push(...words(vb.value));
    }
  }
  const sd = params.structuredData;
  if (sd && typeof sd === 'object') {
    for (const el of Object.values(sd as Record<string, unknown>)) {
      if (el && typeof el === 'object') for (const v of Object.values(el as Record<string, unknown>)) for (const x of Array.isArray(v) ? v : [v]) out.push(...words(x));
    }
  }
  return out;
}

/** Whether a live event matches a search as the server would find it (false for a search the server refuses). */
export function matchesSearch(e: StoredEvent, q: string): boolean {
  const ts = terms(q);
  if (!ts.some((t) => !t.exclude)) return false;
  const p = e.params ?? {};
  const host = words(typeof p.hostname === 'string' && p.hostname ? p.hostname : e.sourceAddress);
  const app = words(p.appName);
  const msg = words(e.message);
  const all = [msg, words(e.type), host, app, values(p)];
  const matches = (t: Term): boolean => {
    if (t.field === 'type') {
      const type = e.type.toLowerCase();
      const v = t.text.toLowerCase();
      return t.prefix ? type.startsWith(v) : type === v;
    }
    const fields = t.field === 'host' ? [host] : t.field === 'app' ? [app] : t.field === 'msg' ? [msg] : all;
    return fields.some((f) => hasPhrase(f, t.words, t.prefix));
  };
  return ts.every((t) => matches(t) !== t.exclude);
}
