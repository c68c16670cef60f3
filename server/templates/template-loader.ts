import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseTemplateText, TemplateError, type TemplateIssue } from './template-parse.js';
import { MAX_TEMPLATE_BYTES, type TemplateBody } from './template.schema.js';

/** What loading one template file gave: the template, or why not. */
export interface TemplateFileReport {
  /** Path relative to the directory it was found in. */
  file: string;
  dir: string;
  status: 'ok' | 'error';
  id: string | null;
  error: string | null;
  issues: TemplateIssue[];
}

export interface LoadedTemplateFiles {
  templates: { body: TemplateBody; file: string }[];
  report: TemplateFileReport[];
}

const TEMPLATE_FILE = /\.(ya?ml|json)$/i;
const MAX_DEPTH = 3;

async function listFiles(dir: string, depth = 0): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory() && depth < MAX_DEPTH) out.push(...(await listFiles(p, depth + 1)));
    else if (e.isFile() && TEMPLATE_FILE.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * Loads `*.yaml|*.yml|*.json` templates from directories (subfolders up to
 * three levels). A bad file (syntax, schema, RE2, too large, duplicate id) is
 * reported with the reason and skipped; the others load. Never throws for a
 * file's content; an unreadable directory is reported too.
 */
export async function loadTemplateFiles(dirs: string[]): Promise<LoadedTemplateFiles> {
  const templates: LoadedTemplateFiles['templates'] = [];
  const report: TemplateFileReport[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = await listFiles(dir);
    } catch (e) {
      report.push({ file: '', dir, status: 'error', id: null, error: `cannot read directory: ${(e as Error).message}`, issues: [] });
      continue;
    }
    for (const path of files) {
      const file = relative(dir, path);
      const fail = (error: string, issues: TemplateIssue[] = [], id: string | null = null) => report.push({ file, dir, status: 'error', id, error, issues });
      try {
        if ((await stat(path)).size > MAX_TEMPLATE_BYTES) {
          fail(`file larger than ${MAX_TEMPLATE_BYTES / 1024} KiB`);
          continue;
        }
        const body = parseTemplateText(await readFile(path, 'utf8'));
        const other = seen.get(body.id);
        if (other !== undefined) {
          fail(`template id ${body.id} is already defined by ${other}`, [{ path: 'id', message: 'duplicate id' }], body.id);
          continue;
        }
        seen.set(body.id, file);
        templates.push({ body, file });
        report.push({ file, dir, status: 'ok', id: body.id, error: null, issues: [] });
      } catch (e) {
        if (e instanceof TemplateError) fail(e.message, e.issues);
        else fail(`cannot read: ${(e as Error).message}`);
      }
    }
  }
  return { templates, report };
}
