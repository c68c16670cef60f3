import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSymlink, LAB_SMI, LAB_TC, labBundleFiles, packWithCli, writeTree } from '../../helpers/mib-bundle.js';
import { apiClient, login, startTestServer, type TestServer } from '../../helpers/server.js';

// Issue 16, "Vendor MIB bundles": an archive uploaded through the API is unpacked, compiled with the
// installed IETF modules, and a real `snmptrap` of the bundle's notification is named at once.

let srv: TestServer;
let token: string;
let call: ReturnType<typeof apiClient>;
const dirs: string[] = [];

async function mibsLoaded(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const r = await call('GET', '/mibs');
    if (r.body?.result && !r.body.loading) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the MIB dictionary did not load within 120 s');
}

/**
 * The server runs in this process: when the event loop stalls for longer than the server's keep-alive
 * timeout (a loaded machine, the dictionary swap after a load), the next request can go out on the
 * idle connection the server is closing at that moment, and fetch fails with ECONNRESET before the
 * server read anything. Such a request is sent once more; any other failure is the test's.
 */
async function once<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err;
    return fn();
  }
}

async function upload(filename: string, data: Uint8Array, as = token): Promise<{ status: number; body: any }> {
  return once(() => uploadOnce(filename, data, as));
}

async function uploadOnce(filename: string, data: Uint8Array, as: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${srv.url}/api/v1/mibs/bundle?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${as}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(data), // a copy on its own ArrayBuffer: what fetch's BodyInit takes (a view's bytes only)
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const run = (cmd: string, args: string[]) =>
  new Promise<void>((resolve, reject) => execFile(cmd, args, { timeout: 20_000 }, (err, _o, stderr) => (err ? reject(new Error(`${cmd}: ${err.message} ${stderr}`)) : resolve())));

async function trapEvents(): Promise<any[]> {
  return (await call('GET', '/events?source=trap&limit=200')).body.items;
}

// Built before the server starts: building them blocks this process (which also runs the server) for
// seconds, and a keep-alive connection the server times out meanwhile would reset the next request.
let bombZip: Uint8Array;
let bombTgz: Buffer;
let manyZip: Uint8Array;

beforeAll(async () => {
  const zeros = Buffer.alloc(40 * 1024 * 1024);
  bombZip = zipSync({ 'BOMB-MIB.my': zeros }, { level: 9 });
  bombTgz = gzipSync(zeros, { level: 9 });
  const many: Record<string, Uint8Array> = Object.create(null);
  for (let i = 0; i < 100_000; i++) many[`f/${i}.my`] = new Uint8Array([65]);
  manyZip = zipSync(many, { level: 0 });
  srv = await startTestServer();
  token = (await login(srv.url, 'admin', srv.adminPassword)).token;
  const client = apiClient(srv.url, token);
  call = (method, path, body) => once(() => client(method, path, body));
  await mibsLoaded();
}, 150_000);
afterAll(async () => {
  await srv?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const labTree = (extra?: (dir: string) => void) => {
  const d = writeTree(labBundleFiles());
  extra?.(d);
  dirs.push(d);
  return d;
};

/** One snmptrap of the lab clogMessageGenerated with its varbinds (clogHistory instance 7). */
async function sendClogTrap(text: string): Promise<void> {
  const port = (await call('GET', '/health')).body.ports.trap as number;
  const col = (n: number) => `1.3.6.1.4.1.9.9.41.1.2.3.1.${n}.7`;
  await run('snmptrap', ['-v', '2c', '-c', 'public', `127.0.0.1:${port}`, '', '1.3.6.1.4.1.9.9.41.2.0.1',
    col(2), 's', 'LINEPROTO', col(3), 'i', '6', col(4), 's', 'UPDOWN', col(5), 's', text, col(6), 't', '12345']);
}

async function waitForTrap(text: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const e = (await trapEvents()).find((x) => String(x.message).includes(text));
    if (e) return e;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`trap "${text}" did not arrive`);
}

describe('vendor MIB bundle upload', () => {
  it('compiles a tar.gz bundle in dependency order with one report, and names its traps at once', async () => {
    // Before: the notification is named only down to `enterprises` (as the issue reports it).
    await sendClogTrap('before the bundle');
    const before = await waitForTrap('before the bundle');
    expect(before.params.trapName).toBe('enterprises.9.9.41.2.0.1');

    const r = await upload('lab-vendor-mibs.tar.gz', packWithCli(labTree(), 'tar.gz'));
    expect(r.status).toBe(201);
    const rep = r.body.report;
    expect(rep).toMatchObject({ bundle: 'lab-vendor-mibs', format: 'tar.gz', files: 6 });
    expect(rep.compiled.sort()).toEqual(['LAB-CISCO-SMI', 'LAB-CISCO-SYSLOG-MIB', 'LAB-CISCO-TC']);
    expect(rep.failed).toContainEqual({ module: 'LAB-ORPHAN-MIB', path: 'lab-mibs/v2/LAB-ORPHAN-MIB.txt', reason: expect.stringMatching(/LAB-NOT-SHIPPED-MIB/) });
    expect(rep.missingImports).toEqual([{ module: 'LAB-NOT-SHIPPED-MIB', importedBy: ['LAB-ORPHAN-MIB'] }]);
    // The broken module is reported by name with its line (as the single-file path does).
    const broken = rep.modules.find((m: { name: string }) => m.name === 'LAB-BROKEN-MIB') ?? rep.skipped.find((s: { path: string }) => s.path.endsWith('LAB-BROKEN-MIB.my'));
    expect(broken).toBeTruthy();
    expect(JSON.stringify(broken)).toMatch(/line|expected|unexpected/i);
    expect(rep.skipped).toEqual(expect.arrayContaining([
      { path: 'lab-mibs/README.txt', reason: expect.stringMatching(/not a MIB/) },
      { path: 'lab-mibs/logo.png', reason: expect.stringMatching(/binary/) },
    ]));
    expect(rep.duplicates).toContainEqual({ module: 'LAB-CISCO-TC', used: expect.stringMatching(/LAB-CISCO-TC/), others: [expect.stringMatching(/LAB-CISCO-TC/)] });

    // The dictionary has the modules now, with the IETF imports resolved.
    expect((await call('GET', '/oids/1.3.6.1.4.1.9.9.41.2.0.1')).body).toMatchObject({ label: 'LAB-CISCO-SYSLOG-MIB::clogMessageGenerated', node: { kind: 'notification', objects: ['clogHistFacility', 'clogHistSeverity', 'clogHistMsgName', 'clogHistMsgText', 'clogHistTimestamp'] } });
    expect((await call('GET', '/oids/clogHistMsgText')).body).toMatchObject({ oid: '1.3.6.1.4.1.9.9.41.1.2.3.1.5', node: { baseType: 'OCTET STRING', syntax: 'SnmpAdminString' } });
    expect((await call('GET', '/oids/clogHistSeverity')).body.node.enums).toMatchObject({ 6: 'notice' });

    // A real trap is named from the bundle without a restart.
    await sendClogTrap('interface Gi0/1 changed state to up');
    const ev = await waitForTrap('interface Gi0/1 changed state to up');
    expect(ev.params.trapName).toBe('clogMessageGenerated');
    expect(ev.message).toMatch(/^clogMessageGenerated \(1\.3\.6\.1\.4\.1\.9\.9\.41\.2\.0\.1\)/);
    expect(ev.message).toContain('clogHistFacility.7=LINEPROTO');
    expect(ev.message).toContain('clogHistMsgName.7=UPDOWN');
    expect(ev.message).toContain('clogHistMsgText.7=interface Gi0/1 changed state to up');

    // Stored flat under the bundle's name; the module list shows them.
    expect(readdirSync(join(srv.dataDir, 'mibs', 'bundles', 'lab-vendor-mibs')).sort()).toContain('LAB-CISCO-SYSLOG-MIB.my');
    const listed = (await call('GET', '/mibs')).body.items.map((m: { name: string }) => m.name);
    expect(listed).toEqual(expect.arrayContaining(['LAB-CISCO-SMI', 'LAB-CISCO-SYSLOG-MIB']));
  }, 120_000);

  it('takes the same bundle as a zip made by the zip CLI, replacing the earlier upload of that name', async () => {
    const r = await upload('lab-vendor-mibs.zip', packWithCli(labTree(), 'zip'));
    expect(r.status).toBe(201);
    expect(r.body.report).toMatchObject({ bundle: 'lab-vendor-mibs', format: 'zip' });
    expect(r.body.report.compiled).toContain('LAB-CISCO-SYSLOG-MIB');
    expect((await call('GET', '/oids/clogMessageGenerated')).body.found).toBe(true);
  }, 60_000);

  describe('hostile archives', () => {
    let modulesBefore: string[];
    beforeAll(async () => {
      modulesBefore = (await call('GET', '/mibs')).body.items.map((m: { name: string; status: string }) => `${m.name}:${m.status}`);
    });
    const unchanged = async () => {
      expect((await call('GET', '/mibs')).body.items.map((m: { name: string; status: string }) => `${m.name}:${m.status}`)).toEqual(modulesBefore);
      expect((await call('GET', '/oids/clogMessageGenerated')).body.found).toBe(true);
      expect((await call('GET', '/health')).status).toBe(200);
    };

    it('refuses zip and tar.gz bombs with 413', async () => {
      const z = await upload('bomb.zip', bombZip);
      expect(z.status).toBe(413);
      expect(z.body.error.message).toMatch(/compression bomb/);
      const t = await upload('bomb.tar.gz', bombTgz);
      expect(t.status).toBe(413);
      await unchanged();
    }, 60_000);

    it('skips path traversal and symbolic links, writing nothing outside the bundle folder', async () => {
      const z = await upload('traversal.zip', zipSync({ '../../LAB-ESCAPED-MIB.my': Buffer.from(LAB_TC.replaceAll('LAB-CISCO-TC', 'LAB-ESCAPED-MIB')), 'LAB-CISCO-SMI.my': Buffer.from(LAB_SMI) }));
      expect(z.status).toBe(201);
      expect(z.body.report.skipped).toContainEqual({ path: '../../LAB-ESCAPED-MIB.my', reason: expect.stringMatching(/unsafe path/) });
      expect(existsSync(join(srv.dataDir, '..', 'LAB-ESCAPED-MIB.my'))).toBe(false);
      expect(existsSync(join(srv.dataDir, 'mibs', 'LAB-ESCAPED-MIB.my'))).toBe(false);
      expect((await call('GET', '/oids/LAB-ESCAPED-MIB::LabSyslogSeverity')).status).toBe(404);

      const withLink = labTree((dir) => addSymlink(dir, '/etc/passwd', 'lab-mibs/v2/PASSWD-MIB.my'));
      const t = await upload('links.tar.gz', packWithCli(withLink, 'tar.gz'));
      expect(t.status).toBe(201);
      expect(t.body.report.skipped).toContainEqual({ path: 'lab-mibs/v2/PASSWD-MIB.my', reason: expect.stringMatching(/symbolic link/) });
      expect(readdirSync(join(srv.dataDir, 'mibs', 'bundles', 'links'))).not.toContain('PASSWD-MIB.my');
      // Both uploads were accepted: remove what they added from the "unchanged" baseline.
      modulesBefore = (await call('GET', '/mibs')).body.items.map((m: { name: string; status: string }) => `${m.name}:${m.status}`);
    }, 60_000);

    it('refuses 100k tiny entries, truncated archives and wrong magic with a 4xx, and the server keeps its MIBs', async () => {
      const m = await upload('many.zip', manyZip);
      expect(m.status).toBe(413);
      expect(m.body.error.message).toMatch(/entries/);

      const whole = packWithCli(labTree(), 'tar.gz');
      const cut = await upload('cut.tar.gz', whole.subarray(0, whole.length - 200));
      expect(cut.status).toBe(400);
      expect(cut.body.error.message).toMatch(/damaged or truncated/);
      const zip = packWithCli(labTree(), 'zip');
      expect((await upload('cut.zip', zip.subarray(0, zip.length >> 1))).status).toBe(400);

      const magic = await upload('vendor.zip', Buffer.from('this is not a zip\n'.repeat(10)));
      expect(magic.status).toBe(415);
      expect(magic.body.error.message).toMatch(/not a zip archive/);
      expect((await upload('empty.tar', new Uint8Array(0))).status).toBe(400);
      expect((await upload('nomibs.tar.gz', packWithCli(writeTree(new Map([['README', 'hello']])), 'tar.gz'))).status).toBe(400);
      await unchanged();
    }, 120_000);

    it('is for admins only, and only takes raw bytes on this route', async () => {
      expect((await call('POST', '/users', { username: 'vic', password: 'vic-password-12', role: 'viewer' })).status).toBe(201);
      const viewer = (await login(srv.url, 'vic', 'vic-password-12')).token;
      expect((await upload('lab.tar.gz', packWithCli(labTree(), 'tar.gz'), viewer)).status).toBe(403);
      const res = await fetch(`${srv.url}/api/v1/mibs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array([1, 2, 3]) });
      expect(res.status).toBe(415);
      expect((await call('POST', '/mibs/bundle?filename=x.zip', { content: 'abc' })).status).toBe(400);
    });
  });
});
