import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/log/logger.js';
import { TemplateService } from '../../../server/templates/template.service.js';

/** A collector's custom templates come from the centre's assignment: each is validated again here. */
describe('assigned custom templates at a collector', () => {
  it('keeps the valid ones, skips a body that does not validate or whose id differs, and leaves the files alone', async () => {
    const svc = new TemplateService({ dirs: [], log: createLogger({ level: 'silent', format: 'json' }) });
    await svc.start();
    let changes = 0;
    svc.onChange(() => changes++);
    const good = { id: 'good', name: 'Good', scalars: [{ name: 'g.v', oid: '1.3.6.1.4.1.9.2.1.58.0' }] };
    svc.setAssigned([
      { id: 'good', body: good, deviceId: 4, group: null },
      { id: 'bad', body: { id: 'bad', scalars: [{ name: 'x', oid: 'not an oid' }] }, deviceId: null, group: null },
      { id: 'other', body: { ...good, id: 'renamed' }, deviceId: null, group: null },
      { id: '__proto__', body: { ...good, id: '__proto__', name: 'p' }, deviceId: null, group: null },
    ]);
    expect(svc.compiled().map((t) => [t.id, t.origin.source, t.origin.deviceId])).toEqual([['good', 'custom', 4]]);
    expect(changes).toBe(1);
    svc.setAssigned([]);
    expect(svc.compiled()).toEqual([]);
  });
});
