/** Something that answers template variables (an EventContext, or a plain map in the threshold evaluator). */
export interface TemplateScope {
  lookup(name: string): unknown;
}

export type Template = (scope: TemplateScope) => string;

const VAR = /\{([A-Za-z_][A-Za-z0-9_.:@-]*)\}/g;

import { own } from './own.js';

export function stringify(v: unknown): string {
  if (v === undefined || v === null || typeof v === 'function' || typeof v === 'symbol') return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/**
 * Compiles `{device.name}: {ifName} down` into a renderer. Variables without a
 * value render as empty text; `{{` and `}}` are literal braces.
 */
export function compileTemplate(src: string): Template {
  const parts: (string | { v: string })[] = [];
  const text = src.replace(/\{\{/g, '\u0000').replace(/\}\}/g, '\u0001');
  let last = 0;
  for (const m of text.matchAll(VAR)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ v: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const fixed = parts.map((p) => (typeof p === 'string' ? p.replace(/\u0000/g, '{').replace(/\u0001/g, '}') : p));
  if (fixed.length === 1 && typeof fixed[0] === 'string') {
    const s = fixed[0];
    return () => s;
  }
  return (scope) => {
    let out = '';
    for (const p of fixed) out += typeof p === 'string' ? p : stringify(scope.lookup(p.v));
    return out;
  };
}

/** Variable names a template uses (for validation and the console's hints). */
export function templateVariables(src: string): string[] {
  return [...src.matchAll(VAR)].map((m) => m[1]!);
}

/** A scope over a plain object (own properties only: `{constructor}` is not Object's). */
export function mapScope(values: Record<string, unknown>, fallback?: TemplateScope): TemplateScope {
  return { lookup: (name) => own(values, name) ?? fallback?.lookup(name) };
}
