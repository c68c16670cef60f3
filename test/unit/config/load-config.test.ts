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

  it('refuses a common NMS_ADMIN_PASSWORD, not only a short one', () => {
    expect(() => loadConfig([], { NMS_ADMIN_PASSWORD: 'password123' })).toThrow(/adminPassword \(NMS_ADMIN_PASSWORD.*most common passwords/);
    expect(() => loadConfig([], { NMS_ADMIN_PASSWORD: 'changeme' })).toThrow(/adminPassword.*most common/);
    expect(loadConfig([], { NMS_ADMIN_PASSWORD: 'a-rare-first-password' }).adminPassword).toBe('a-rare-first-password');
  });

  it('trusts no proxy by default; trustProxy takes addresses, CIDRs and range names, and refuses anything else', () => {
    expect(loadConfig([], {}).trustProxy).toEqual([]);
    expect(loadConfig([], { NMS_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,loopback, fd00::/8' }).trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16', 'loopback', 'fd00::/8']);
    expect(loadConfig(['--config', file({ trustProxy: ['127.0.0.1'] })], {}).trustProxy).toEqual(['127.0.0.1']);
    expect(() => loadConfig([], { NMS_TRUST_PROXY: 'true' })).toThrow(/trustProxy \(NMS_TRUST_PROXY/);
    expect(() => loadConfig([], { NMS_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/prefix/);
  });

  it('gives API tokens a default lifetime and takes a metrics token of at least 16 characters', () => {
    expect(loadConfig([], {}).apiTokenTtlDays).toBe(90);
    expect(loadConfig([], { NMS_API_TOKEN_TTL_DAYS: '0' }).apiTokenTtlDays).toBe(0);
    expect(loadConfig([], {}).metricsToken).toBeUndefined();
    expect(() => loadConfig([], { NMS_METRICS_TOKEN: 'short' })).toThrow(/metricsToken \(NMS_METRICS_TOKEN/);
  });

  it('takes the Alertmanager intake settings from env, file and CLI, and names the key of a bad one', () => {
    const d = loadConfig([], {});
    expect(d.alertmanagerToken).toBeUndefined();
    expect(d.alertmanagerDeviceLabels).toEqual(['instance', 'node', 'host']);
    expect(d.alertmanagerDefaultSeverity).toBe('warning');
    const c = loadConfig(['--alertmanager-default-severity', 'minor'], { NMS_ALERTMANAGER_TOKEN: 'a-long-enough-token', NMS_ALERTMANAGER_DEVICE_LABELS: ' instance , kubernetes_node ' });
    expect(c).toMatchObject({ alertmanagerToken: 'a-long-enough-token', alertmanagerDeviceLabels: ['instance', 'kubernetes_node'], alertmanagerDefaultSeverity: 'minor' });
    expect(loadConfig(['--config', file({ alertmanagerDeviceLabels: ['node'] })], {}).alertmanagerDeviceLabels).toEqual(['node']);
    expect(() => loadConfig([], { NMS_ALERTMANAGER_TOKEN: 'short' })).toThrow(/alertmanagerToken \(NMS_ALERTMANAGER_TOKEN.*at least 16/);
    expect(() => loadConfig([], { NMS_ALERTMANAGER_TOKEN: 'has a space in it, long' })).toThrow(/alertmanagerToken.*spaces/);
    expect(() => loadConfig([], { NMS_ALERTMANAGER_DEVICE_LABELS: 'instance,1bad' })).toThrow(/alertmanagerDeviceLabels/);
    expect(() => loadConfig([], { NMS_ALERTMANAGER_DEFAULT_SEVERITY: 'huge' })).toThrow(/alertmanagerDefaultSeverity/);
  });

  it('rejects unknown flags, unknown file keys and unreadable files clearly', () => {
    expect(() => loadConfig(['--htp-port', '1'], {})).toThrow(/unknown option --htp-port/);
    expect(() => loadConfig(['--config', file({ httpPortt: 1 })], {})).toThrow(/unknown key "httpPortt"/);
    expect(() => loadConfig(['--config', file('{not json')], {})).toThrow(/not valid JSON/);
    expect(() => loadConfig(['--config', '/nonexistent/netwatch.json'], {})).toThrow(/cannot read config file/);
  });

  it('binds syslog and traps to every address by default, or to the addresses syslogHost / trapHost name', () => {
    expect(loadConfig([], {})).toMatchObject({ syslogHost: { ipv4: '0.0.0.0', ipv6: '::' }, trapHost: { ipv4: '0.0.0.0', ipv6: '::' } });
    const c = loadConfig(['--trap-host', '::1'], { NMS_SYSLOG_HOST: ' 127.0.0.1 , ::1 ' });
    expect(c.syslogHost).toEqual({ ipv4: '127.0.0.1', ipv6: '::1' });
    expect(c.trapHost).toEqual({ ipv4: null, ipv6: '::1' });
    expect(loadConfig(['--config', file({ syslogHost: '192.0.2.5' })], {}).syslogHost).toEqual({ ipv4: '192.0.2.5', ipv6: null });
  });

  it('refuses a bind address that is not an IP literal, or two of one family, naming the key', () => {
    expect(() => loadConfig([], { NMS_SYSLOG_HOST: 'localhost' })).toThrow(/syslogHost \(NMS_SYSLOG_HOST.*"localhost" is not an IP address/);
    expect(() => loadConfig([], { NMS_TRAP_HOST: '127.0.0.1,10.0.0.1' })).toThrow(/trapHost \(NMS_TRAP_HOST.*at most one IPv4 address/);
    expect(() => loadConfig([], { NMS_TRAP_HOST: ' , ' })).toThrow(/trapHost.*needs at least one address/);
  });
});
