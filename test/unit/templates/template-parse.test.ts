import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTemplateText, TemplateError, validateTemplate } from '../../../server/templates/template-parse.js';
import { loadTemplateFiles } from '../../../server/templates/template-loader.js';
import { TEMPLATES_DIR } from '../../../server/paths.js';

const minimal = { id: 'x', name: 'X', tables: [{ name: 't', entry: '1.3.6.1.4.1.9.1.1', metrics: [{ name: 'a.b', column: 2 }] }] };
const issues = (v: unknown) => {
  try {
    validateTemplate(v);
  } catch (e) {
    if (e instanceof TemplateError) return e.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    throw e;
  }
  return '';
};

describe('template format', () => {
  it('loads the shipped templates without error', async () => {
    const { templates, report } = await loadTemplateFiles([TEMPLATES_DIR]);
    expect(report.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(templates.map((t) => t.body.id).sort()).toEqual(expect.arrayContaining(['entity-sensor', 'host-resources', 'rmon-etherstats']));
  });

  it('applies defaults and drops a leading dot from OIDs', () => {
    const t = validateTemplate({ ...minimal, tables: [{ ...minimal.tables[0], entry: '.1.3.6.1.4.1.9.1.1' }] });
    expect(t.tables[0]!.entry).toBe('1.3.6.1.4.1.9.1.1');
    expect(t.rediscoverMinutes).toBe(360);
    expect(t.tables[0]!.metrics[0]!.type).toBe('gauge');
    expect(t.applies).toEqual({});
  });

  it('refuses __proto__ keys in enum maps and at the top level', () => {
    const states = JSON.parse('{"__proto__": "bad", "1": "ok"}');
    expect(issues({ ...minimal, tables: [{ ...minimal.tables[0], metrics: [{ name: 'a', column: 2, states }] }] })).toMatch(/__proto__.*not allowed/);
    expect(issues(JSON.parse(JSON.stringify(minimal).replace('{', '{"__proto__": {"polluted": 1},')))).not.toBe('');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a regex RE2 cannot run in linear time, with its path', () => {
    expect(issues({ ...minimal, applies: { sysDescr: '(a)\\1' } })).toMatch(/^applies.sysDescr: back-references/);
    expect(issues({ ...minimal, applies: { sysDescr: '([' } })).toMatch(/applies.sysDescr: invalid regular expression/);
  });

  it('refuses OIDs outside the syntax', () => {
    for (const entry of ['1.3.6.x', '1', 'iso.3.6', '1.3.6.1.99999999999', '1.3.6.1.4294967296', '1..3']) {
      expect(issues({ ...minimal, tables: [{ ...minimal.tables[0], entry }] }), entry).toMatch(/tables.0.entry/);
    }
  });

  it('refuses misspelt fields, duplicate metric names and a clear on the wrong side', () => {
    expect(issues({ ...minimal, tables: [{ ...minimal.tables[0], metrics: [{ name: 'a', column: 2, multipler: 2 }] }] })).toMatch(/multipler/);
    expect(issues({ ...minimal, tables: [{ ...minimal.tables[0], metrics: [{ name: 'a', column: 2 }, { name: 'a', column: 3 }] }] })).toMatch(/produced twice/);
    expect(issues({ ...minimal, scalars: [{ name: 'c', oid: '1.3.6.1.2.1.1.3.0', thresholds: [{ op: '>', value: 80, clear: 90 }] }] })).toMatch(/scalars.0.thresholds.0.clear/);
  });

  it('refuses YAML aliases, duplicate keys and oversized bodies', () => {
    expect(() => parseTemplateText('id: x\nname: &n X\ndescription: *n\nscalars: [{name: a, oid: 1.3.6.1.2.1.1.3.0}]\n')).toThrow(/Alias/);
    expect(() => parseTemplateText('id: x\nid: y\n')).toThrow(/unique/);
    expect(() => parseTemplateText(`id: x\nname: X\ndescription: "${'a'.repeat(300_000)}"\n`)).toThrow(/larger than/);
  });

  it('reports a bad file and still loads the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
    mkdirSync(join(dir, 'vendor'));
    writeFileSync(join(dir, 'good.yaml'), 'id: good\nname: Good\nscalars: [{ name: cpu.load, oid: 1.3.6.1.4.1.12356.101.4.1.3.0, unit: "%" }]\n');
    writeFileSync(join(dir, 'vendor', 'bad.json'), '{"id": "bad", "name": "Bad", "tables": [{"name": "t", "entry": "1.3.6", "metrics": [{"name": "m", "column": 0}]}]}');
    writeFileSync(join(dir, 'broken.yml'), 'id: [unclosed\n');
    writeFileSync(join(dir, 'zz-dup.yaml'), 'id: good\nname: Again\nscalars: [{ name: x, oid: 1.3.6.1.2.1.1.3.0 }]\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a template');
    const { templates, report } = await loadTemplateFiles([dir, join(dir, 'missing')]);
    expect(templates.map((t) => t.body.id)).toEqual(['good']);
    const byFile = new Map(report.map((r) => [r.file, r]));
    expect(byFile.get('good.yaml')?.status).toBe('ok');
    expect(byFile.get(join('vendor', 'bad.json'))?.error).toMatch(/tables.0.metrics.0.column/);
    expect(byFile.get('broken.yml')?.error).toMatch(/not valid YAML/);
    expect(byFile.get('zz-dup.yaml')?.error).toMatch(/already defined by good.yaml/);
    expect(byFile.has('notes.txt')).toBe(false);
  });
});
