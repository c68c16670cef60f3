import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config/load-config.js';
import { ROLE_MODULES, roleModules, roleProblem } from '../../../server/modules/roles.js';

describe('roles', () => {
  it('runs every module in the all role, the store first and the API before realtime', () => {
    const all = ROLE_MODULES.all;
    expect([...all].sort()).toEqual(['api', 'events', 'intake', 'mib', 'polling', 'realtime', 'registry', 'store', 'topology', 'transport']);
    expect(all[0]).toBe('store');
    expect(all.indexOf('api')).toBeLessThan(all.indexOf('realtime'));
    // Modules with routes are started before the API registers them.
    for (const m of ['events', 'registry', 'intake', 'polling', 'topology'] as const) expect(all.indexOf(m)).toBeLessThan(all.indexOf('api'));
    // The collector registry emits its alarms' events through the events module's writer.
    expect(all.indexOf('events')).toBeLessThan(all.indexOf('registry'));
  });

  it('gives a collector the transport, then polling (over the devices the centre assigns), intake and health, and no store, registry, API or realtime', () => {
    expect(ROLE_MODULES.collector).toEqual(['transport', 'polling', 'intake', 'health']);
    for (const m of ['store', 'registry', 'api', 'realtime'] as const) expect(ROLE_MODULES.collector).not.toContain(m);
  });

  it('runs the transport in all only with a NATS URL: without one, exactly the one-process modules', () => {
    expect(roleModules(loadConfig([], {}))).not.toContain('transport');
    expect(roleModules(loadConfig([], {}))).toEqual(['store', 'events', 'registry', 'intake', 'polling', 'topology', 'api', 'realtime', 'mib']);
    const withNats = roleModules(loadConfig([], { NMS_NATS_URL: 'nats://127.0.0.1:4222' }));
    expect(withNats.indexOf('transport')).toBeGreaterThan(withNats.indexOf('events'));
    expect(roleModules(loadConfig([], { NMS_ROLE: 'central', NMS_NATS_URL: 'nats://127.0.0.1:4222' }))).toContain('transport');
  });

  it('gives central the store, events, registry, transport, API, realtime and polling (which stores what collectors poll), and no intake', () => {
    for (const m of ['store', 'events', 'registry', 'transport', 'api', 'realtime', 'polling'] as const) expect(ROLE_MODULES.central).toContain(m);
    expect(ROLE_MODULES.central.indexOf('transport')).toBeGreaterThan(ROLE_MODULES.central.indexOf('events'));
    // Collectors' poll batches are written by the polling module's repositories: it starts before the consumer.
    expect(ROLE_MODULES.central.indexOf('transport')).toBeGreaterThan(ROLE_MODULES.central.indexOf('polling'));
    expect(ROLE_MODULES.central).not.toContain('intake');
  });


  it('runs all by default, and refuses central and collector without a NATS URL', () => {
    const config = loadConfig([], {});
    expect(config.role).toBe('all');
    expect(config.site).toBe('central');
    expect(roleProblem(config)).toBeNull();
    for (const role of ['central', 'collector']) {
      expect(roleProblem(loadConfig([], { NMS_ROLE: role }))).toMatch(/NMS_NATS_URL/);
    }
  });

  it('rejects an unknown role and a site name outside [A-Za-z0-9_-]{1,64}', () => {
    expect(() => loadConfig([], { NMS_ROLE: 'poller' })).toThrow(/role/);
    expect(() => loadConfig([], { NMS_SITE: 'paris/east' })).toThrow(/site/);
    expect(() => loadConfig([], { NMS_SITE: 'x'.repeat(65) })).toThrow(/site/);
    expect(loadConfig([], { NMS_SITE: 'paris-east_2' }).site).toBe('paris-east_2');
  });
});
