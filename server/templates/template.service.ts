import type { RuleDto } from '../contracts/alarms.js';
import type { TemplateDto } from '../contracts/templates.js';
import type { Logger } from '../log/logger.js';
import type { StoredTemplate, TemplateRepository } from '../store/template.repository.js';
import { compileTemplate, thresholdsOf, type CompiledTemplate } from './template-compile.js';
import { loadTemplateFiles, type TemplateFileReport } from './template-loader.js';
import { parseTemplateText, TemplateError, validateTemplate } from './template-parse.js';
import type { TemplateBody } from './template.schema.js';

export class TemplateConflictError extends Error {}
export class TemplateNotFoundError extends Error {}

/** What a create/update carries: a template object, or YAML/JSON text. */
export interface TemplateInputBody {
  template?: unknown;
  text?: string;
  deviceId?: number;
  group?: string;
}

/** Stable negative id of a built-in template threshold rule (survives restarts, so its alarms clear). */
export function templateRuleId(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return -((h % 0x7fffffff) + 1);
}

/**
 * The template set: files from `templates/` (read-only, loaded at start with a
 * load report) and custom ones from the database. Compiles them for the
 * engine and derives the built-in threshold rules.
 */
export class TemplateService {
  private files: { body: TemplateBody; file: string }[] = [];
  private report: TemplateFileReport[] = [];
  private compiledList: CompiledTemplate[] = [];
  /** At a collector: the custom templates the centre assigned to its site (no database here). */
  private assigned: CompiledTemplate[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly storedListeners = new Set<() => void>();

  constructor(
    private readonly deps: {
      dirs: string[];
      repo?: TemplateRepository;
      log: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { templates, report } = await loadTemplateFiles(this.deps.dirs);
    this.files = templates;
    this.report = report;
    for (const r of report) {
      if (r.status === 'error') this.deps.log.warn({ file: r.file, dir: r.dir, error: r.error }, 'collection template skipped');
    }
    this.deps.log.info({ files: templates.length, errors: report.filter((r) => r.status === 'error').length }, 'collection templates loaded');
    this.rebuild();
  }

  /** Called after any change of the set. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called after a custom template was created, changed or deleted here (not after a reload). */
  onStoredChange(fn: () => void): () => void {
    this.storedListeners.add(fn);
    return () => this.storedListeners.delete(fn);
  }

  /** Reads the custom templates from the database again (another central node changed them). */
  reloadStored(): void {
    this.rebuild();
  }

  private storedChanged(): void {
    this.rebuild();
    for (const fn of this.storedListeners) fn();
  }

  private rebuild(): void {
    const out: CompiledTemplate[] = this.files.map((f) => compileTemplate(f.body, { source: 'file', file: f.file }));
    const fileIds = new Set(out.map((t) => t.id));
    for (const s of this.deps.repo?.list() ?? []) {
      if (fileIds.has(s.id)) continue;
      try {
        out.push(compileTemplate(validateTemplate(JSON.parse(s.body)), { source: 'custom', deviceId: s.deviceId, group: s.group, createdAt: s.createdAt, updatedAt: s.updatedAt }));
      } catch (err) {
        this.deps.log.error({ err, id: s.id }, 'stored collection template no longer validates: skipped');
      }
    }
    for (const t of this.assigned) if (!fileIds.has(t.id)) out.push(t);
    this.compiledList = out;
    for (const fn of this.listeners) fn();
  }

  /**
   * A collector's custom templates, as the centre assigned them: each validated again here (one that
   * does not is skipped and logged, the others kept); an id of a file template here is left to the file.
   */
  setAssigned(list: readonly { id: string; body: unknown; deviceId: number | null; group: string | null }[]): void {
    const out: CompiledTemplate[] = [];
    const seen = new Set<string>();
    for (const a of list) {
      try {
        const body = validateTemplate(a.body);
        if (body.id !== a.id || seen.has(body.id)) throw new TemplateError(`id ${a.id} does not match its body or is repeated`, []);
        seen.add(body.id);
        out.push(compileTemplate(body, { source: 'custom', deviceId: a.deviceId, group: a.group }));
      } catch (err) {
        this.deps.log.warn({ err, id: a.id }, 'assigned collection template does not validate: skipped');
      }
    }
    this.assigned = out;
    this.rebuild();
  }

  compiled(): readonly CompiledTemplate[] {
    return this.compiledList;
  }

  loadReport(): TemplateFileReport[] {
    return this.report;
  }

  get(id: string): CompiledTemplate | undefined {
    return this.compiledList.find((t) => t.id === id);
  }

  /** Source text of a custom template as its author wrote it (else its JSON). */
  sourceText(id: string): string | null {
    return this.deps.repo?.get(id)?.sourceText ?? null;
  }

  toDto(t: CompiledTemplate, appliedTo = 0): TemplateDto {
    return {
      id: t.id,
      name: t.body.name,
      description: t.body.description ?? null,
      source: t.origin.source,
      file: t.origin.file ?? null,
      deviceId: t.origin.deviceId ?? null,
      group: t.origin.group ?? null,
      appliedTo,
      body: t.body,
      createdAt: t.origin.createdAt ?? null,
      updatedAt: t.origin.updatedAt ?? null,
    };
  }

  /** Validates an API/console body (throws TemplateError with every issue). */
  static parseInput(input: TemplateInputBody): { body: TemplateBody; text: string | null } {
    if (input.text !== undefined && input.template !== undefined) throw new TemplateError('give either template or text, not both', [{ path: '', message: 'template and text both given' }]);
    if (input.text !== undefined) return { body: parseTemplateText(input.text), text: input.text };
    if (input.template === undefined) throw new TemplateError('give the template (object) or its text (YAML/JSON)', [{ path: 'template', message: 'missing' }]);
    return { body: validateTemplate(input.template), text: null };
  }

  create(input: TemplateInputBody): CompiledTemplate {
    const repo = this.requireRepo();
    const { body, text } = TemplateService.parseInput(input);
    if (input.deviceId !== undefined && input.group !== undefined) throw new TemplateError('a template is for one device or one group, not both', [{ path: 'group', message: 'both deviceId and group given' }]);
    if (this.get(body.id)) throw new TemplateConflictError(`template ${body.id} already exists`);
    repo.create({ id: body.id, body: JSON.stringify(body), sourceText: text, deviceId: input.deviceId ?? null, group: input.group ?? null });
    this.storedChanged();
    return this.get(body.id)!;
  }

  update(id: string, input: TemplateInputBody): CompiledTemplate {
    const repo = this.requireRepo();
    const cur = this.get(id);
    if (!cur) throw new TemplateNotFoundError(`no template ${id}`);
    if (cur.origin.source === 'file') throw new TemplateConflictError(`template ${id} comes from the file ${cur.origin.file ?? ''} and is read-only: edit the file, or add a custom template with another id`);
    const { body, text } = TemplateService.parseInput(input);
    if (body.id !== id) throw new TemplateError('the id of a template cannot change', [{ path: 'id', message: `must stay ${id}` }]);
    repo.update(id, JSON.stringify(body), text);
    this.storedChanged();
    return this.get(id)!;
  }

  delete(id: string): void {
    const repo = this.requireRepo();
    const cur = this.get(id);
    if (!cur) throw new TemplateNotFoundError(`no template ${id}`);
    if (cur.origin.source === 'file') throw new TemplateConflictError(`template ${id} comes from the file ${cur.origin.file ?? ''} and is read-only`);
    repo.delete(id);
    this.storedChanged();
  }

  stored(id: string): StoredTemplate | undefined {
    return this.deps.repo?.get(id);
  }

  private requireRepo(): TemplateRepository {
    if (!this.deps.repo) throw new TemplateConflictError('templates cannot be stored on this node');
    return this.deps.repo;
  }

  /** Built-in threshold rules: one per template threshold, for the devices the template applies to. */
  rules(applied: Map<string, number[]>): RuleDto[] {
    const out: RuleDto[] = [];
    for (const t of this.compiledList) {
      const devices = applied.get(t.id);
      if (!devices?.length) continue;
      for (const { metric, scalar, threshold: th } of thresholdsOf(t.body)) {
        const key = `${t.id}|${metric}|${th.op}|${th.value}|${th.clear ?? ''}|${th.severity}|${th.forPolls}`;
        out.push({
          id: templateRuleId(key),
          name: `Template ${t.id}: ${metric} ${th.op} ${th.value}`,
          description: `Threshold of collection template ${t.id}`,
          enabled: true,
          position: 0,
          builtinKey: `template:${key}`,
          body: {
            kind: 'threshold',
            metrics: [metric],
            ...(scalar ? { instance: '' } : {}),
            deviceIds: [...devices].sort((a, b) => a - b),
            op: th.op,
            value: th.value,
            ...(th.clear !== undefined ? { clearValue: th.clear } : {}),
            forPolls: th.forPolls,
            severity: th.severity,
            title: th.title ?? `{device.name}: ${metric}{instanceSuffix} {value} {op} {threshold}`,
          },
          createdAt: 0,
          updatedAt: 0,
        });
      }
    }
    return out;
  }
}
