import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { compileSafeRegex, UnsafeRegexError } from '../events/engine/safe-regex.js';
import { MAX_TEMPLATE_BYTES, templateBodySchema, type TemplateBody } from './template.schema.js';

/** One problem in a template, with where it is (`tables.0.metrics.2.column`). */
export interface TemplateIssue {
  path: string;
  message: string;
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly issues: TemplateIssue[],
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const summary = (issues: TemplateIssue[]) => {
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return first ? `${first.path || '(root)'}: ${first.message}${more}` : 'invalid template';
};

/**
 * Parses template text (YAML, or JSON which YAML reads too). Aliases are capped
 * (no "billion laughs"), duplicate keys are refused, and the result goes through
 * {@link validateTemplate}. Throws {@link TemplateError} with every issue found.
 */
export function parseTemplateText(text: string): TemplateBody {
  if (Buffer.byteLength(text, 'utf8') > MAX_TEMPLATE_BYTES) {
    throw new TemplateError(`template larger than ${MAX_TEMPLATE_BYTES / 1024} KiB`, [{ path: '', message: `larger than ${MAX_TEMPLATE_BYTES} bytes` }]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    const issues = doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}` : '', message: e.message.split('\n')[0] ?? e.message }));
    throw new TemplateError(`not valid YAML/JSON: ${summary(issues)}`, issues);
  }
  let value: unknown;
  try {
    // Aliases are not part of the format: refusing them rules out alias expansion bombs.
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    throw new TemplateError(`not a usable template document: ${(e as Error).message}`, [{ path: '', message: (e as Error).message }]);
  }
  return validateTemplate(value);
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys that would reach an object's prototype are refused outright (zod would silently drop some of them). */
function forbiddenKeys(value: unknown, path: string[] = [], out: TemplateIssue[] = [], depth = 0): TemplateIssue[] {
  if (value === null || typeof value !== 'object' || out.length >= 20) return out;
  if (depth > 32) {
    out.push({ path: path.join('.'), message: 'nested too deeply' });
    return out;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) out.push({ path: [...path, key].join('.'), message: `key "${key}" is not allowed` });
    else forbiddenKeys((value as Record<string, unknown>)[key], [...path, key], out, depth + 1);
  }
  return out;
}

const zodIssues = (e: z.ZodError): TemplateIssue[] => e.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));

/**
 * Validates a template object (an API body or a parsed file): the zod schema,
 * then what a schema cannot say — regexes compile on RE2, column references
 * make sense, metric names are unique per table. Throws {@link TemplateError}.
 */
export function validateTemplate(value: unknown): TemplateBody {
  const bad = forbiddenKeys(value);
  if (bad.length) throw new TemplateError(`invalid template: ${summary(bad)}`, bad);
  const r = templateBodySchema.safeParse(value);
  if (!r.success) {
    const issues = zodIssues(r.error);
    throw new TemplateError(`invalid template: ${summary(issues)}`, issues);
  }
  const t = r.data;
  const issues: TemplateIssue[] = [];
  const regex = (path: string, pattern: string) => {
    try {
      compileSafeRegex(pattern, 'i');
    } catch (e) {
      issues.push({ path, message: e instanceof UnsafeRegexError ? e.message : 'invalid regular expression' });
    }
  };
  if (t.applies.sysDescr !== undefined) regex('applies.sysDescr', t.applies.sysDescr);
  const stored = new Set<string>();
  const storedName = (path: string, name: string) => {
    if (stored.has(name)) issues.push({ path, message: `metric ${name} is produced twice by this template` });
    stored.add(name);
  };
  t.tables.forEach((tab, ti) => {
    const filters = tab.filter === undefined ? [] : Array.isArray(tab.filter) ? tab.filter : [tab.filter];
    filters.forEach((f, fi) => {
      if (f.match !== undefined) regex(`tables.${ti}.filter${Array.isArray(tab.filter) ? `.${fi}` : ''}.match`, f.match);
    });
    tab.metrics.forEach((m, mi) => {
      const path = `tables.${ti}.metrics.${mi}`;
      if (m.kindColumn) {
        for (const k of new Set(Object.values(m.kindColumn.map).map((x) => x.name))) storedName(`${path}.kindColumn`, `${m.name}.${k}`);
      } else storedName(`${path}.name`, m.name);
      if (m.type === 'counter' && m.states) issues.push({ path: `${path}.states`, message: 'a counter has no states' });
    });
  });
  t.scalars.forEach((s, si) => {
    storedName(`scalars.${si}.name`, s.name);
    if (s.type === 'counter' && s.states) issues.push({ path: `scalars.${si}.states`, message: 'a counter has no states' });
  });
  if (issues.length) throw new TemplateError(`invalid template: ${summary(issues)}`, issues);
  return t;
}
