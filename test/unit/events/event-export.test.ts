import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../server/contracts/events.js';
import { CSV_COLUMNS, csvCell, exportFileName, formatEvents, jsonLine } from '../../../server/events/event-export.js';

const event = (over: Partial<StoredEvent> = {}): StoredEvent => ({
  id: 7,
  receivedAt: Date.UTC(2026, 11, 6, 23, 57, 0, 123),
  reportedAt: null,
  source: 'syslog',
  sourceAddress: '10.0.0.1',
  deviceId: 3,
  severity: 'warning',
  type: 'LINK-3-UPDOWN',
  message: 'plain',
  params: { app: 'sshd' },
  ...over,
});

describe('CSV cells (RFC 4180)', () => {
  it('leaves plain text and numbers as they are, and writes null as an empty cell', () => {
    expect(csvCell('Interface Gi0/1 down')).toBe('Interface Gi0/1 down');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes a cell with a comma, a quote or a line break, doubling inner quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('line1\r\nline2')).toBe('"line1\r\nline2"');
  });

  it('keeps a cell a spreadsheet would run as a formula as text, with a leading quote', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tTAB')).toBe("'\tTAB");
    expect(csvCell('\rCR')).toBe('"\'\rCR"');
    expect(csvCell('a=b')).toBe('a=b');
  });
});

describe('export text', () => {
  it('writes the header once, then one CRLF-terminated row per event with ISO times and the device name', () => {
    const text = formatEvents([event(), event({ id: 6, deviceId: null, reportedAt: 0 })], 'csv', new Map([[3, 'core-sw1']]), true);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toBe('7,2026-12-06T23:57:00.123Z,,syslog,10.0.0.1,3,core-sw1,warning,LINK-3-UPDOWN,plain,"{""app"":""sshd""}"');
    expect(lines[2]).toBe('6,2026-12-06T23:57:00.123Z,1970-01-01T00:00:00.000Z,syslog,10.0.0.1,,,warning,LINK-3-UPDOWN,plain,"{""app"":""sshd""}"');
    expect(lines[3]).toBe('');
    expect(formatEvents([event()], 'csv', new Map(), false).startsWith('7,')).toBe(true);
  });

  it('writes JSON lines with exactly the fields of the events API', () => {
    const e = event({ params: { sd: JSON.parse('{"__proto__":{"x":"1"}}') } });
    const line = jsonLine(e);
    expect(line.endsWith('\n')).toBe(true);
    const back = JSON.parse(line);
    expect(Object.keys(back)).toEqual(['id', 'receivedAt', 'reportedAt', 'source', 'sourceAddress', 'deviceId', 'severity', 'type', 'message', 'params']);
    expect(back).toEqual(JSON.parse(JSON.stringify(e)));
    expect(Object.hasOwn(back.params.sd, '__proto__')).toBe(true);
  });

  it('names the file after the format and the time, without characters a file system may refuse', () => {
    expect(exportFileName('csv', Date.UTC(2026, 11, 6, 23, 57, 0, 5))).toBe('netwatch-events-20261206T235700Z.csv');
    expect(exportFileName('jsonl', 0)).toBe('netwatch-events-19700101T000000Z.jsonl');
  });
});
