import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import type { Core as Cy } from 'cytoscape';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../helpers/snmpd.js';
import { startLldpAgent, type LldpAgent } from '../helpers/lldp-agent.js';
import { apiClient, login, startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium, RESULTS } from '../helpers/browser.js';

// Issue 7 in a real browser: the map draws the simulated LLDP topology, and a
// linkDown trap for a port turns that link red without a reload.
const WAIT = { timeout: 60_000 };
const run = promisify(execFile);

let server: TestServer;
let browser: Browser;
const agents: LldpAgent[] = [];
let call: ReturnType<typeof apiClient>;

describe('topology map in a real browser', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    const port = await freeUdpPort();
    const names = ['core-a', 'core-b', 'access-c'];
    for (let i = 0; i < names.length; i++) agents.push(await startLldpAgent(`127.89.0.${i + 1}`, port, names[i]!, 4));
    agents[0]!.setNeighbours([{ localPort: 1, remoteSysName: 'core-b', remotePort: 'eth1' }, { localPort: 2, remoteSysName: 'access-c', remotePort: 'eth1' }]);
    agents[1]!.setNeighbours([{ localPort: 1, remoteSysName: 'core-a', remotePort: 'eth1' }]);
    agents[2]!.setNeighbours([{ localPort: 1, remoteSysName: 'core-a', remotePort: 'eth2' }]);
    server = await startTestServer();
    call = apiClient(server.url, (await login(server.url, 'admin', server.adminPassword)).token);
    for (const a of agents) {
      const d = await call('POST', '/devices', { name: a.sysName, address: a.address, icmpEnabled: false, snmp: { port, community: 'public', timeoutMs: 2000, retries: 1 } });
      expect((await call('POST', `/devices/${d.body.id}/poll`)).body.status.snmpState).toBe('up');
    }
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await Promise.all(agents.map((a) => a.close()));
  }, 60_000);

  it('draws the LLDP topology and turns a link red after a linkDown trap, without reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/topology`);
      await page.waitForURL(/\/login/, WAIT);
      await page.fill('#login-user', 'admin');
      await page.fill('#login-password', server.adminPassword);
      await page.click('button[type=submit]');
      // Back where we were going after logging in.
      await page.waitForURL(/\/topology$/, WAIT);
      // Functions, not strings: the console's CSP (no 'unsafe-eval') refuses string predicates.
      await page.waitForFunction(() => {
        const cy = (window as unknown as { __netwatchCy?: Cy }).__netwatchCy;
        return !!cy && cy.nodes().length === 3 && cy.edges().length === 2;
      }, undefined, WAIT);
      const edgeColor = (a: string, b: string) =>
        page.evaluate(
          ([a, b]) => {
            const cy = (window as unknown as { __netwatchCy: Cy }).__netwatchCy;
            const id = (n: string) => cy.nodes().filter((x) => x.data('label') === n)[0]!.id();
            const e = cy.edges().filter((x) => [x.source().id(), x.target().id()].sort().join() === [id(a), id(b)].sort().join())[0];
            return e ? (e.data('color') as string) : null;
          },
          [a, b] as const,
        );
      expect(await edgeColor('core-a', 'core-b')).toBe('#2b8a3e');

      // linkDown for core-a's ifIndex 1 (eth1, the cable to core-b), sent as core-a via snmpTrapAddress.0.
      const trapPort = (await call('GET', '/health')).body.ports.trap as number;
      expect(trapPort).toBeGreaterThan(0);
      await run('snmptrap', ['-v2c', '-c', 'public', `127.0.0.1:${trapPort}`, '', '1.3.6.1.6.3.1.1.5.3',
        '1.3.6.1.2.1.2.2.1.1.1', 'i', '1', '1.3.6.1.2.1.2.2.1.7.1', 'i', '1', '1.3.6.1.2.1.2.2.1.8.1', 'i', '2',
        '1.3.6.1.6.3.18.1.3.0', 'a', '127.89.0.1']);
      await expect.poll(() => edgeColor('core-a', 'core-b'), WAIT).toBe('#c92a2a');
      expect(await edgeColor('core-a', 'access-c')).toBe('#2b8a3e');
      await page.screenshot({ path: `${RESULTS}/topology.png` });

      // The side panel opens on a click and names the device.
      await page.evaluate(() => (window as unknown as { __netwatchCy: Cy }).__netwatchCy.nodes().filter((x) => x.data('label') === 'core-a')[0]!.emit('tap'));
      await expect.poll(() => page.getByTestId('node-panel').textContent(), WAIT).toContain('core-a');
    } finally {
      await context.close();
    }
  });
});
