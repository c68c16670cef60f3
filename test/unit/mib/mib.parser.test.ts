import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMib } from '../../../server/mib/mib.parser.js';
import { MibSyntaxError, tokenize } from '../../../server/mib/mib.tokenizer.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/mibs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

describe('MIB tokenizer', () => {
  it('drops comments that run to the end of the line or to the next --', () => {
    const toks = tokenize('a -- comment\nb -- inline -- c\n"multi\nline" d-e 12 ::= ..');
    expect(toks.map((t) => t.text)).toEqual(['a', 'b', 'c', 'multi\nline', 'd-e', '12', '::=', '..']);
    expect(toks.find((t) => t.text === 'd-e')?.line).toBe(4);
  });

  it('reads a doubled quote inside a string as one quote', () => {
    expect(tokenize('"say ""hi"" now" x').map((t) => t.text)).toEqual(['say "hi" now', 'x']);
  });
});

describe('MIB parser', () => {
  it('reads IMPORTS by module and every SMIv2 construct of a vendor MIB', () => {
    const [mod] = parseMib(fixture('ACME-SWITCH-MIB.txt'));
    expect(mod!.name).toBe('ACME-SWITCH-MIB');
    expect(mod!.imports.find((i) => i.module === 'IF-MIB')?.symbols).toEqual(['ifIndex']);
    const byName = new Map(mod!.defs.map((d) => [d.name, d]));
    expect(byName.get('acmeSwitchMIB')?.macro).toBe('MODULE-IDENTITY');
    expect(byName.get('AcmeFanState')).toMatchObject({ macro: 'TEXTUAL-CONVENTION', syntax: { name: 'INTEGER', enums: [['ok', 1], ['degraded', 2], ['failed', 3]] } });
    expect(byName.get('AcmeTenths')?.displayHint).toBe('d-1');
    expect(byName.get('acmeChassisTemperature')).toMatchObject({ units: 'degrees Celsius', access: 'read-only', status: 'current', syntax: { name: 'AcmeTenths' } });
    expect(byName.get('acmeFanEntry')?.index).toEqual([{ name: 'acmeFanIndex', implied: false }]);
    expect(byName.get('acmePortEntry')?.augments).toBe('acmePortStatsEntry');
    expect(byName.get('acmeFanFailed')).toMatchObject({ macro: 'NOTIFICATION-TYPE', objects: ['acmeFanName', 'acmeFanState'] });
    expect(byName.get('acmeSwitchNotificationGroup')?.objects).toEqual(['acmeFanFailed']);
    // A compliance's refinements (SYNTAX, MIN-ACCESS) are not its own.
    expect(byName.get('acmeSwitchCompliance')).toMatchObject({ macro: 'MODULE-COMPLIANCE', status: 'current', description: 'What an Acme switch implements.' });
    expect(byName.get('acmeSwitchCompliance')?.syntax).toBeUndefined();
  });

  it('reads SMIv1 OBJECT-TYPE with ACCESS and TRAP-TYPE with ENTERPRISE and VARIABLES', () => {
    const [mod] = parseMib(fixture('ACME-V1-TRAPS-MIB.txt'));
    const trap = mod!.defs.find((d) => d.name === 'acmeUpsOnBattery');
    expect(trap).toMatchObject({ macro: 'TRAP-TYPE', enterprise: 'acmeLegacy', trapNumber: 1, objects: ['acmeUpsName', 'acmeUpsBatteryStatus'] });
    expect(mod!.defs.find((d) => d.name === 'acmeUpsName')).toMatchObject({ access: 'read-write', status: 'mandatory' });
  });

  it('skips MACRO definitions and parses the base modules', () => {
    const smi = parseMib(readFileSync(join(import.meta.dirname, '../../../mibs/base/RFC1155-SMI.txt'), 'utf8'));
    expect(smi[0]!.defs.map((d) => d.name)).toContain('enterprises');
    expect(smi[0]!.defs.some((d) => d.name === 'OBJECT-TYPE')).toBe(false);
  });

  it('reports a syntax error with its line', () => {
    let err: unknown;
    try {
      parseMib(fixture('BROKEN-MIB.txt'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MibSyntaxError);
    expect((err as MibSyntaxError).line).toBeGreaterThanOrEqual(13);
  });

  it('reports a missing ";" after IMPORTS at the line where it shows', () => {
    const src = 'X-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI\n\nx OBJECT IDENTIFIER ::= { enterprises 1 }\nEND\n';
    expect(() => parseMib(src)).toThrow(/IMPORTS/);
  });

  it('never fails with anything but a syntax error on truncated or mangled MIBs', () => {
    const base = join(import.meta.dirname, '../../../mibs/base');
    for (const file of ['IF-MIB.txt', 'SNMPv2-TC.txt', 'RFC1213-MIB.txt']) {
      const src = readFileSync(join(base, file), 'utf8');
      for (let k = 1; k < 40; k++) {
        const cut = Math.floor((src.length * k) / 40);
        for (const mangled of [src.slice(0, cut), src.slice(0, cut) + src.slice(cut + 7), `${src.slice(0, cut)}{ ( [ ${src.slice(cut)}`]) {
          try {
            parseMib(mangled);
          } catch (err) {
            expect(err, `${file} cut at ${cut}`).toBeInstanceOf(MibSyntaxError);
          }
        }
      }
    }
  });
});
