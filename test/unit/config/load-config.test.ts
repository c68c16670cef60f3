import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config/load-config.js';

const file = (content: unknown) => {
  const p = join(mkdtempSync(join(tmpdir(), 'nw-cfg-')), 'netwatch.json');
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig([], {});
    expect(c).toMatchObject({ httpPort: 8080, httpHost: '0.0.0.0', dataDir: './data', syslogPort: 514, trapPort: 162, logLevel: 'info' });
    expect(c.adminPassword).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes CLI over env over config file over default', () => {
    const cfg = file({ httpPort: 7000, syslogPort: 7514, trapPort: 7162 });
    const c = loadConfig(['--config', cfg, '--http-port', '9000'], { NMS_HTTP_PORT: '8500', NMS_SYSLOG_PORT: '8514' });
    expect(c.httpPort).toBe(9000);
    expect(c.syslogPort).toBe(8514);
    expect(c.trapPort).toBe(7162);
  });

  it('reads the config file named by NMS_CONFIG and accepts --key=value', () => {
    const cfg = file({ dataDir: '/var/lib/netwatch' });
    const c = loadConfig(['--log-level=debug'], { NMS_CONFIG: cfg });
    expect(c.dataDir).toBe('/var/lib/netwatch');
    expect(c.logLevel).toBe('debug');
  });

  it('stops on an invalid value, naming the key and its env variable', () => {
    expect(() => loadConfig([], { NMS_HTTP_PORT: 'eighty' })).toThrow(/httpPort \(NMS_HTTP_PORT/);
    expect(() => loadConfig([], { NMS_HTTP_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig([], { NMS_LOG_LEVEL: 'loud' })).toThrow(/logLevel/);
    expect(() => loadConfig([], { NMS_ADMIN_PASSWORD: 'short' })).toThrow(/adminPassword.*8 characters/);
    expect(() => loadConfig([], { NMS_OUTBOUND_DENY: '10.0.0.0/8,intranet' })).toThrow(/outboundDeny \(NMS_OUTBOUND_DENY.*"intranet" is not an IPv4 or IPv6 CIDR/);
    expect(loadConfig([], { NMS_OUTBOUND_ALLOW: '169.254.10.0/24, fd00::/8' }).outboundAllow).toBe('169.254.10.0/24, fd00::/8');
  });

  it('rejects unknown flags, unknown file keys and unreadable files clearly', () => {
    expect(() => loadConfig(['--htp-port', '1'], {})).toThrow(/unknown option --htp-port/);
    expect(() => loadConfig(['--config', file({ httpPortt: 1 })], {})).toThrow(/unknown key "httpPortt"/);
    expect(() => loadConfig(['--config', file('{not json')], {})).toThrow(/not valid JSON/);
    expect(() => loadConfig(['--config', '/nonexistent/netwatch.json'], {})).toThrow(/cannot read config file/);
  });
});
