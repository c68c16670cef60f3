/**
 * Topology map at scale: 1,000 devices and 2,000 links in headless Chromium.
 * Figures: time from navigation to the first full render, and frames per
 * second while panning and zooming continuously for 3 s. Reference: the same
 * rAF loop on an empty page in the same browser (headless Chromium's frame
 * pacing), so the ratio says how much of the browser's frame rate the map keeps.
 */
import { chromium } from 'playwright-core';
import { DeviceRepository } from '../../server/store/device.repository.js';
import { TopologyRepository } from '../../server/store/topology.repository.js';
import { login, startTestServer } from '../helpers/server.js';

const NODES = 1000;
const LINKS = 2000;

const srv = await startTestServer();
const devices = new DeviceRepository(srv.nms.db);
const topo = new TopologyRepository(srv.nms.db);
const ids: number[] = [];
srv.nms.db.transaction(() => {
  for (let i = 0; i < NODES; i++) {
    ids.push(
      devices.create({
        name: `sw-${i}`, address: `127.90.${i >> 8}.${i & 255}`, group: `site-${i % 10}`, location: null, tags: [], pollIntervalSec: 60, icmpEnabled: false,
        snmp: { enabled: false, version: '2c', port: 161, community: 'public', username: null, authProtocol: null, authKey: null, privProtocol: null, privKey: null, context: null, timeoutMs: 1000, retries: 0 },
      }).id,
    );
  }
  // A ring plus random chords: 2,000 links.
  for (let i = 0; i < LINKS; i++) {
    const a = ids[i % NODES]!;
    const b = i < NODES ? ids[(i + 1) % NODES]! : ids[(i * 7919) % NODES]!;
    if (a !== b) topo.addManualLink({ aDeviceId: a, aPort: null, bDeviceId: b, bPort: null });
  }
})();

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
const { cookie } = await login(srv.url, 'admin', srv.adminPassword);
const [name, value] = cookie.split('=') as [string, string];
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
await context.addCookies([{ name, value, url: srv.url }]);
const page = await context.newPage();

// Passed as source text: tsx's name-keeping helpers do not exist in the page.
const FPS_SCRIPT = `(async (duration) => {
  const cy = window.__netwatchCy;
  let frames = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = (t) => {
      frames++;
      if (cy) {
        const phase = (t - t0) / 500;
        cy.panBy({ x: Math.sin(phase) * 8, y: Math.cos(phase) * 6 });
        cy.zoom(Math.max(0.2, Math.min(2, cy.zoom() * (1 + Math.sin(phase) * 0.01))));
      }
      if (t - t0 < duration) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  return (frames * 1000) / (performance.now() - t0);
})`;
const measureFps = (ms: number) => page.evaluate(`${FPS_SCRIPT}(${ms})`) as Promise<number>;

const t0 = Date.now();
await page.goto(`${srv.url}/topology`);
await page.waitForFunction(`window.__netwatchCy && window.__netwatchCy.nodes().length === ${NODES}`, undefined, { timeout: 120_000 });
await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
const renderMs = Date.now() - t0;
const fps = await measureFps(3000);

await page.goto('about:blank');
const refFps = await measureFps(3000);

console.log(JSON.stringify({ bench: 'topology', metric: 'first_render_ms', value: renderMs, nodes: NODES, links: LINKS }));
console.log(JSON.stringify({ bench: 'topology', metric: 'pan_zoom_fps', value: +fps.toFixed(1), reference: +refFps.toFixed(1), ratio: +(fps / refFps).toFixed(3), target: '>= 30 fps' }));

await browser.close();
await srv.stop();
