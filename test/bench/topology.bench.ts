/**
 * Topology map at scale: 1,000 devices and 2,000 links in headless Chromium.
 * Figures: time from navigation to the first full render, and frames per
 * second while the user pans and zooms for 3 s: a mouse drag on the map's
 * background for half the time, then wheel zooming in and out (DOM events the
 * page dispatches each animation frame, the same events a hand on a mouse
 * produces, so cytoscape takes its interactive path). Reference: the same rAF
 * loop on an empty page in the same browser (headless Chromium's frame pacing),
 * so the ratio says how much of the browser's frame rate the map keeps.
 * A second figure animates the viewport from code (cy.panBy/cy.zoom each frame,
 * which repaints the whole map every frame): what a scripted fly-over costs.
 */
import { DeviceRepository } from '../../server/store/device.repository.js';
import { TopologyRepository } from '../../server/store/topology.repository.js';
import { launchChromium } from '../helpers/browser.js';
import { login, startTestServer } from '../helpers/server.js';

const NODES = 1000;
const LINKS = 2000;

const srv = await startTestServer();
const devices = new DeviceRepository(srv.nms.db, srv.nms.secrets);
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

const browser = await launchChromium();
const { cookie } = await login(srv.url, 'admin', srv.adminPassword);
const [name, value] = cookie.split('=') as [string, string];
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
await context.addCookies([{ name, value, url: srv.url }]);
const page = await context.newPage();

// Passed as source text: tsx's name-keeping helpers do not exist in the page.
// The user's gestures: drag the background, then wheel in and out over the middle of the map.
const GESTURE_SCRIPT = `(async (duration) => {
  const cy = window.__netwatchCy;
  const box = cy ? cy.container().getBoundingClientRect() : { left: 0, top: 0, width: 800, height: 600 };
  const target = cy ? cy.container().querySelector('canvas:last-of-type') || cy.container() : document.body;
  let x = box.left + 4, y = box.top + 4, stage = 'start', frames = 0, panned = 0, zoomed = 0;
  const p0 = cy ? { ...cy.pan() } : null;
  const mouse = (type, on, buttons) => on.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, buttons, view: window }));
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = (t) => {
      frames++;
      const dt = t - t0;
      if (dt < duration / 2) {
        if (stage === 'start') { mouse('mousedown', target, 1); stage = 'drag'; }
        x += Math.sin(dt / 300) * 6; y += Math.cos(dt / 300) * 4;
        mouse('mousemove', window, 1);
      } else {
        if (stage === 'drag') {
          mouse('mouseup', window, 0); stage = 'wheel';
          if (cy) panned = Math.hypot(cy.pan().x - p0.x, cy.pan().y - p0.y);
          if (cy) zoomed = cy.zoom();
        }
        target.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, deltaY: Math.sin((dt - duration / 2) / 120) * 30, deltaMode: 0 }));
      }
      if (dt < duration) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  const fps = (frames * 1000) / (performance.now() - t0);
  return { fps, panned, zoomChanged: cy ? cy.zoom() !== zoomed : true };
})`;
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
const measureGestures = (ms: number) => page.evaluate(`${GESTURE_SCRIPT}(${ms})`) as Promise<{ fps: number; panned: number; zoomChanged: boolean }>;
const measureFps = (ms: number) => page.evaluate(`${FPS_SCRIPT}(${ms})`) as Promise<number>;

const t0 = Date.now();
await page.goto(`${srv.url}/topology`);
await page.waitForFunction(`window.__netwatchCy && window.__netwatchCy.nodes().length === ${NODES}`, undefined, { timeout: 120_000 });
await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
const renderMs = Date.now() - t0;
const gestures = await measureGestures(3000);
// The gestures must really have moved the map, or the figure measures nothing.
if (gestures.panned < 50 || !gestures.zoomChanged) throw new Error(`gestures did not move the map: ${JSON.stringify(gestures)}`);
const fps = gestures.fps;
await page.evaluate('window.__netwatchCy.fit(); new Promise((r) => setTimeout(r, 500))');
const scriptedFps = await measureFps(3000);

await page.goto('about:blank');
const refFps = (await measureGestures(3000)).fps;

console.log(JSON.stringify({ bench: 'topology', metric: 'first_render_ms', value: renderMs, nodes: NODES, links: LINKS }));
console.log(JSON.stringify({ bench: 'topology', metric: 'pan_zoom_fps', what: 'user drag then wheel zoom', value: +fps.toFixed(1), reference: +refFps.toFixed(1), ratio: +(fps / refFps).toFixed(3), target: '>= 30 fps' }));
console.log(JSON.stringify({ bench: 'topology', metric: 'scripted_viewport_fps', what: 'cy.panBy/cy.zoom every frame (full repaint each frame)', value: +scriptedFps.toFixed(1), reference: +refFps.toFixed(1), ratio: +(scriptedFps / refFps).toFixed(3) }));

await browser.close();
await srv.stop();
