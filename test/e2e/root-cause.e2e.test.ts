import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Core as Cy } from 'cytoscape';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../helpers/snmpd.js';
import { startLldpAgent, type LldpAgent } from '../helpers/lldp-agent.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS, signInAt } from '../helpers/browser.js';

// Issue 17 in a real browser: a chain root → distribution → 3 access switches (net-snmp agents on
// loopback whose LLDP tables point at each other, so the parents come from the topology). ICMP goes
// through a network namespace this test makes (the server's fping runs under `ip netns exec`,
// NMS_ICMP_WRAPPER); the distribution switch and everything behind it "fail" by an nftables drop
// there. The console shows one cause with its suppressed alarms grouped under it, the map styles
// and the impacted devices; one notification reaches a local webhook receiver; recovery clears all.
const WAIT = { timeout: 90_000 };
const ns = `nwrcui${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const nft = (script: string) => execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
const ADDR = { root: '127.88.0.1', dist: '127.88.0.2', acc: ['127.88.0.11', '127.88.0.12', '127.88.0.13'] };

let server: TestServer;
let browser: Browser;
const agents: LldpAgent[] = [];
let call: ReturnType<typeof apiClient>;
let hook: Server;
const posts: string[] = [];
const ids = new Map<string, number>();

const cy = (page: Page) => page.evaluate(() => {
  const c = (window as unknown as { __netwatchCy?: Cy }).__netwatchCy;
  if (!c) return [];
  return c.nodes().map((n) => ({ name: n.data('name') as string, label: n.data('label') as string, classes: n.classes().join(' '), color: n.data('color') as string }));
});

describe('root cause in the console', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.method === 'POST') posts.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));

    const port = await freeUdpPort();
    agents.push(await startLldpAgent(ADDR.root, port, 'rc-root', 4));
    agents.push(await startLldpAgent(ADDR.dist, port, 'rc-dist', 4));
    for (let i = 0; i < ADDR.acc.length; i++) agents.push(await startLldpAgent(ADDR.acc[i]!, port, `rc-acc-${i + 1}`, 2));
    agents[0]!.setNeighbours([{ localPort: 1, remoteSysName: 'rc-dist', remotePort: 'eth1' }]);
    agents[1]!.setNeighbours([
      { localPort: 1, remoteSysName: 'rc-root', remotePort: 'eth1' },
      ...ADDR.acc.map((_, i) => ({ localPort: i + 2, remoteSysName: `rc-acc-${i + 1}`, remotePort: 'eth1' })),
    ]);
    ADDR.acc.forEach((_, i) => agents[2 + i]!.setNeighbours([{ localPort: 1, remoteSysName: 'rc-dist', remotePort: `eth${i + 2}` }]));

    server = await startTestServer({
      env: { NMS_POLLER: 'true', NMS_ICMP_WRAPPER: `ip netns exec ${ns}`, NMS_ICMP_PROBES: '1', NMS_ICMP_DOWN_AFTER: '1' },
    });
    call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    for (const a of agents) {
      const group = a.sysName.startsWith('rc-acc-') ? 'rc-access' : null;
      const d = await call('POST', '/devices', { name: a.sysName, address: a.address, group, icmpEnabled: true, pollIntervalSec: 5, snmp: { port, community: 'public', timeoutMs: 1000, retries: 0 } });
      expect(d.status).toBe(201);
      ids.set(a.sysName, d.body.id);
    }
    for (const id of ids.values()) expect((await call('POST', `/devices/${id}/poll`)).body.status.snmpState).toBe('up');
    const channel = await call('POST', '/notification-channels', { name: 'rc-hook', type: 'webhook', config: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` } });
    expect(channel.status).toBe(201);
    const rules = (await call('GET', '/rules')).body.items as { id: number; name: string; body: { actions: Record<string, unknown> } }[];
    const down = rules.find((r) => r.name === 'Device down (ICMP)')!;
    expect((await call('PATCH', `/rules/${down.id}`, { body: { ...down.body, actions: { ...down.body.actions, notify: { channelIds: [channel.body.id], on: ['raise'] } } } })).status).toBe(200);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await Promise.all(agents.map((a) => a.close()));
    hook?.close();
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  }, 60_000);

  it('groups the suppressed alarms under their cause, styles the map, clears all on recovery, and pins parents from the Dependency card', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      // Mark the first hop as root on its Dependency card (the parents below it come from LLDP).
      await signInAt(page, server.url, `/devices/${ids.get('rc-root')}`, 'admin', server.adminPassword);
      await page.getByTestId('dependency-root').check(WAIT);
      await page.getByTestId('dependency-save').click();
      await expect.poll(() => page.getByTestId('dependency-derived').getAttribute('data-derived'), WAIT).toBe('root');

      // An access switch's card: its parent is the distribution switch, from the topology, on the path from the root.
      await page.goto(`${server.url}/devices/${ids.get('rc-acc-1')}`);
      await expect.poll(() => page.getByTestId('dependency-parent').textContent(), WAIT).toContain('rc-dist');
      expect(await page.getByTestId('dependency-derived').getAttribute('data-derived')).toBe('topology');
      expect((await page.getByTestId('dependency-path').textContent())!.replace(/\s+/g, ' ')).toContain('rc-root → rc-dist → rc-acc-1');

      // Everything answers first.
      await expect.poll(async () => ((await call('GET', '/device-status')).body.items as { icmpState: string }[]).filter((s) => s.icmpState === 'up').length, WAIT).toBe(5);
      posts.length = 0;

      // The distribution switch fails: it and everything behind it stop answering pings.
      nft(`table ip rc {
  chain out { type filter hook output priority 0; ip daddr { ${[ADDR.dist, ...ADDR.acc].join(', ')} } icmp type echo-request drop; }
}`);

      await page.goto(`${server.url}/alarms`);
      // (The simulated switches raise other alarms of their own, e.g. their unused ports down: only the ping alarms count here.)
      const pingRows = (testId: string) => page.locator(`[data-testid="${testId}"]`, { hasText: 'not responding to ping' });
      const causeRow = pingRows('alarm-row').filter({ hasText: 'rc-dist' });
      await expect.poll(() => causeRow.getByTestId('impact-count').textContent().catch(() => null), WAIT).toBe('3');
      // One row at the top level: the cause; the access switches' alarms are under it, folded.
      await expect.poll(() => pingRows('alarm-row').count(), WAIT).toBe(1);
      expect(await pingRows('suppressed-row').count()).toBe(0);
      await causeRow.getByTestId('impact-toggle').click();
      await expect.poll(() => pingRows('suppressed-row').count(), WAIT).toBe(3);
      expect(await page.locator('[data-testid="suppressed-row"][data-suppressed="true"]', { hasText: 'not responding to ping' }).count()).toBe(3);
      expect((await pingRows('suppressed-row').allTextContents()).map((t) => /rc-acc-\d/.exec(t)?.[0]).sort()).toEqual(['rc-acc-1', 'rc-acc-2', 'rc-acc-3']);
      await expect.poll(() => page.getByTestId('impacted-device').allTextContents().then((t) => t.map((x) => /^(rc-acc-\d)\s*(127\.88\.0\.\d+)\s*(\w+)/.exec(x.trim())?.slice(1).join(' ')).sort()), WAIT).toEqual([
        'rc-acc-1 127.88.0.11 unreachable',
        'rc-acc-2 127.88.0.12 unreachable',
        'rc-acc-3 127.88.0.13 unreachable',
      ]);
      await page.screenshot({ path: `${RESULTS}/root-cause-alarms.png` });

      // The flat list shows all four.
      await page.getByTestId('flat-toggle').check();
      await expect.poll(() => pingRows('alarm-row').count(), WAIT).toBe(4);
      await page.getByTestId('flat-toggle').uncheck();

      // Exactly one notification: the cause's.
      await new Promise((r) => setTimeout(r, 3000));
      expect(posts).toHaveLength(1);
      expect(posts[0]).toContain('rc-dist');

      // The map: the cause ringed red, the devices behind it grey and dashed, with their suppressed count.
      await page.goto(`${server.url}/topology`);
      await expect.poll(async () => (await cy(page)).find((n) => n.name === 'rc-dist')?.classes ?? '', WAIT).toContain('rc-cause');
      const nodes = await cy(page);
      for (const i of [1, 2, 3]) {
        const n = nodes.find((x) => x.name === `rc-acc-${i}`)!;
        expect(n.classes).toContain('rc-unreachable');
        expect(n.label).toBe(`rc-acc-${i} [1 suppressed]`);
        expect(n.color).toBe('#adb5bd');
      }
      expect(nodes.find((x) => x.name === 'rc-dist')!.label).toBe('⚠ rc-dist (root cause)');
      expect(nodes.find((x) => x.name === 'rc-root')!.classes).not.toContain('rc-');
      await expect.poll(() => page.getByTestId('topology-legend').textContent(), WAIT).toContain('root cause');
      await page.screenshot({ path: `${RESULTS}/root-cause-map.png` });

      // The device list says where they are: behind the cause, not down.
      await page.goto(`${server.url}/devices`);
      await expect
        .poll(() => page.locator('[data-testid="device-row"][data-device-name="rc-acc-2"] [data-testid="device-state"]').textContent(), WAIT)
        .toBe('unreachable (behind rc-dist)');
      expect(await page.locator('[data-testid="device-row"][data-device-name="rc-dist"] [data-testid="device-state"]').textContent()).toBe('down');

      // Recovery: the drop goes; every alarm clears, live, and the map is plain again.
      nft('delete table ip rc');
      await page.goto(`${server.url}/alarms`);
      await expect.poll(() => page.locator('[data-testid="alarm-row"], [data-testid="suppressed-row"]', { hasText: 'not responding to ping' }).count(), WAIT).toBe(0);
      await expect.poll(() => page.getByTestId('impact-toggle').count(), WAIT).toBe(0);
      await page.goto(`${server.url}/topology`);
      await expect.poll(async () => (await cy(page)).filter((n) => /rc-(cause|unreachable|suppressed)/.test(n.classes)).length, WAIT).toBe(0);
      expect(posts).toHaveLength(1);

      // Pins from the Dependency card: a parent for the access group, then one access switch pinned to the root
      // with the device picker (a device pin wins over the group's).
      const derived = async (name: string) => {
        await page.goto(`${server.url}/devices/${ids.get(name)}`);
        return page.getByTestId('dependency-derived').getAttribute('data-derived', WAIT);
      };
      await page.goto(`${server.url}/devices/${ids.get('rc-acc-2')}`);
      await page.getByTestId('dependency-group-pin').selectOption({ label: `rc-root (${ADDR.root})` }, WAIT);
      await page.getByTestId('dependency-group-save').click();
      await expect.poll(() => derived('rc-acc-2'), WAIT).toBe('group');
      expect(await page.getByTestId('dependency-parent').textContent()).toContain('rc-root');
      await page.goto(`${server.url}/devices/${ids.get('rc-acc-3')}`);
      await page.getByTestId('dependency-pin').selectOption({ label: `rc-dist (${ADDR.dist})` }, WAIT);
      await page.getByTestId('dependency-save').click();
      await expect.poll(() => derived('rc-acc-3'), WAIT).toBe('pinned');
      expect((await page.getByTestId('dependency-path').textContent())!.replace(/\s+/g, ' ')).toContain('rc-root → rc-dist → rc-acc-3');
      expect((await call('GET', '/dependencies/groups')).body.items).toEqual([{ group: 'rc-access', parentId: ids.get('rc-root') }]);
    } finally {
      await context.close();
    }
  });
});
