import { describe, expect, it } from 'vitest';
import { HEARTBEAT_SUBSCRIPTION, STREAM_SUBJECTS, heartbeatSubject, parseSubject, siteProblem, subjectFor } from '../../../server/bus/nats-subjects.js';
import { natsLinkOptions, streamConfig } from '../../../server/bus/nats-link.js';
import { loadConfig } from '../../../server/config/load-config.js';

describe('NATS subjects of the NETWATCH stream', () => {
  it('puts the site and the kind into the subject and reads them back', () => {
    expect(subjectFor('paris-1', 'events')).toBe('netwatch.paris-1.events');
    expect(parseSubject('netwatch.paris-1.events')).toEqual({ site: 'paris-1', kind: 'events' });
    expect(parseSubject('netwatch.Site_2.neighbours')).toEqual({ site: 'Site_2', kind: 'neighbours' });
    expect(STREAM_SUBJECTS).toEqual(['netwatch.*.events', 'netwatch.*.samples', 'netwatch.*.status', 'netwatch.*.neighbours', 'netwatch.*.inventory']);
  });

  it('does not take subjects that are not ours or whose site is not a site name', () => {
    for (const s of ['netwatch.a.alarms', 'other.a.events', 'netwatch.a.b.events', 'netwatch..events', `netwatch.${'x'.repeat(65)}.events`, 'netwatch.ü.events', 'netwatch.__proto__x.toString']) {
      expect(parseSubject(s), s).toBeUndefined();
    }
  });

  it('accepts only subject-safe site names of 1-64 characters', () => {
    for (const ok of ['central', 'a', 'A-b_9', 'x'.repeat(64)]) expect(siteProblem(ok), ok).toBeUndefined();
    for (const bad of ['', 'a.b', 'a b', 'a*', 'a>', 'x'.repeat(65), 'é']) expect(siteProblem(bad), bad).toMatch(/not a site name/);
    expect(() => subjectFor('a.b', 'events')).toThrow(/not a site name/);
  });
});

describe('NATS configuration', () => {
  it('defaults to site central and no NATS', () => {
    const c = loadConfig([], {});
    expect(c.site).toBe('central');
    expect(c.natsUrl).toBeUndefined();
    expect(() => natsLinkOptions(c)).toThrow(/natsUrl/);
  });

  it('stops on a bad site name or NATS URL, naming the key', () => {
    expect(() => loadConfig([], { NMS_SITE: 'paris.1' })).toThrow(/site \(NMS_SITE.*not a site name/);
    expect(() => loadConfig([], { NMS_NATS_URL: 'http://127.0.0.1:4222' })).toThrow(/natsUrl \(NMS_NATS_URL.*not a nats:\/\/host:port/);
    expect(() => loadConfig([], { NMS_NATS_DUPLICATE_WINDOW_SECONDS: '60' })).toThrow(/natsDuplicateWindowSeconds/);
  });

  it('builds the link options and the stream from the config', () => {
    const c = loadConfig([], { NMS_SITE: 'lyon', NMS_NATS_URL: 'nats://10.0.0.1:4222, tls://nats.example.net:4443', NMS_NATS_STREAM_MAX_BYTES: '5000000' });
    const o = natsLinkOptions(c);
    expect(o).toMatchObject({ site: 'lyon', servers: ['nats://10.0.0.1:4222', 'tls://nats.example.net:4443'], streamMaxBytes: 5_000_000, duplicateWindowMs: 600_000 });
    expect(streamConfig(o)).toMatchObject({ name: 'NETWATCH', storage: 'file', retention: 'workqueue', discard: 'new', max_bytes: 5_000_000, duplicate_window: 600_000 * 1e6 });
  });

  it('sends heartbeats on netwatch.<site>.heartbeat, a subject no stream subject matches and the centre subscribes to', () => {
    expect(heartbeatSubject('paris-1')).toBe('netwatch.paris-1.heartbeat');
    expect(() => heartbeatSubject('a.b')).toThrow(/site/);
    expect(parseSubject(heartbeatSubject('paris-1'))).toBeUndefined();
    // NATS wildcard matching of one-token `*`: the last token must be equal.
    const matches = (pattern: string, subject: string) => {
      const p = pattern.split('.');
      const s = subject.split('.');
      return p.length === s.length && p.every((t, i) => t === '*' || t === s[i]);
    };
    expect(STREAM_SUBJECTS.some((p) => matches(p, heartbeatSubject('paris-1')))).toBe(false);
    expect(matches(HEARTBEAT_SUBSCRIPTION, heartbeatSubject('paris-1'))).toBe(true);
  });
});
