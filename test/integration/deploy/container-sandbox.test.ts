/**
 * The built server (dist/, as the image's CMD runs it) under the restrictions the Kubernetes
 * manifests and the Dockerfile put on it, reproduced with the kernel's own tools (no Docker or
 * cluster on these machines):
 *   - uid/gid 1000 (the image's USER, the manifests' runAsUser/runAsGroup);
 *   - capability bounding set exactly NET_BIND_SERVICE + NET_RAW (drop ALL, add those two), held
 *     in the permitted set when node is exec'd (what runc does with capabilities it adds);
 *   - no_new_privs (allowPrivilegeEscalation: false);
 *   - node carrying `cap_net_bind_service,cap_net_raw+ep` as file capabilities (the Dockerfile's setcap),
 *   - the root file system read-only (readOnlyRootFilesystem) except the data dir (the PVC) and
 *     /tmp (the emptyDir), in a mount namespace of its own;
 *   - its own network namespace, where it binds the real 514/UDP+TCP and 162/UDP and 8080.
 * Needs root (mount/network namespaces, setcap) and unshare/setpriv/setcap/chroot; skipped
 * without them, failed under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { baseServerCapabilities, readDockerfile } from '../../unit/deploy/deploy-files.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TOOLS = ['/usr/bin/unshare', '/usr/bin/setpriv', '/usr/sbin/setcap', '/usr/sbin/chroot', '/usr/bin/curl', '/usr/sbin/ip'];
const missing = [...TOOLS.filter((t) => !existsSync(t)), ...(process.getuid?.() === 0 ? [] : ['root']), ...(existsSync(join(ROOT, 'dist/server/main.js')) ? [] : ['dist (npm run build)'])];
if (missing.length && process.env.CI === 'true') throw new Error(`container sandbox test needs: ${missing.join(', ')}`);

// Not under /tmp: the sandbox mounts its own /tmp (the emptyDir) over it.
const base = missing.length ? '' : mkdtempSync('/var/tmp/nw-sandbox-');
afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

interface SandboxResult {
  health: { status: string; ports: { http: number; syslog: number | null; trap: number | null } } | null;
  log: string;
  script: string;
  exitCode: string;
  fping: string;
  writable: string;
}

/**
 * Runs the server in the sandbox until its MIB index is written, then stops it (SIGTERM).
 * `fileCaps`: what the Dockerfile's setcap gives node; `podCaps`: what the manifests add.
 */
function runSandbox(fileCaps: readonly string[], podCaps: readonly string[]): SandboxResult {
  const data = join(base, 'data');
  const tmp = join(base, 'tmp');
  const sandboxRoot = join(base, 'root');
  const bin = join(base, 'bin');
  for (const d of [data, tmp, sandboxRoot, bin]) mkdirSync(d, { recursive: true });
  chmodSync(base, 0o755); // mkdtemp made it 0700: uid 1000 must reach the data dir
  chownSync(data, 1000, 1000);
  chmodSync(tmp, 0o1777);
  const node = join(bin, 'node');
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  const setcap = spawnSync('/usr/sbin/setcap', [`${fileCaps.map((c) => `cap_${c.toLowerCase()}`).join(',')}+ep`, node], { encoding: 'utf8' });
  if (setcap.status !== 0) throw new Error(`setcap failed: ${setcap.stderr}`);
  const bounding = ['-all', ...podCaps.map((c) => `+${c.toLowerCase()}`)].join(',');
  const asPod = `/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --bounding-set=${bounding} --no-new-privs`;
  const env = 'NODE_ENV=production NMS_DATA_DIR=' + data + ' NMS_HTTP_PORT=8080 NMS_SYSLOG_PORT=514 NMS_TRAP_PORT=162 NMS_SYSLOG_RECEIVE_PRIORITY=0 NMS_LOG_FORMAT=json NMS_POLLER=true NMS_ADMIN_PASSWORD=sandbox-Password-4711 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
  const script = `
set -u
R=${sandboxRoot}
mount --bind / $R && mount -o remount,bind,ro $R || exit 90
mount --bind ${data} $R${data} || exit 91
mount --bind ${tmp} $R/tmp || exit 92
mount --rbind /dev $R/dev && mount -t proc proc $R/proc && mount --rbind /sys $R/sys || exit 93
ip link set lo up || exit 94
cd /
env -i ${env} /usr/sbin/chroot $R ${asPod} ${node} --openssl-legacy-provider --disable-proto=throw ${ROOT}dist/server/main.js > ${base}/server.log 2>&1 &
PID=$!
for i in $(seq 1 240); do
  [ -f ${data}/mib-index.json ] && curl -sf http://127.0.0.1:8080/api/v1/health > ${base}/health.json && break
  kill -0 $PID 2>/dev/null || break
  sleep 0.5
done
# The root file system as the server sees it: nothing may be written outside the data dir and /tmp.
/usr/sbin/chroot $R ${asPod} /bin/sh -c 'touch /app-write-test 2>/dev/null && echo writable || echo read-only' > ${base}/writable.txt
# NET_RAW reaches the ICMP helper under no_new_privs: node (with its file caps) runs fping.
if [ -x /usr/bin/fping ]; then
  env -i ${env} /usr/sbin/chroot $R ${asPod} ${node} -e "const r=require('child_process').spawnSync('/usr/bin/fping',['-c1','-q','127.0.0.1'],{encoding:'utf8'});process.stdout.write(String(r.status)+' '+r.stderr.trim())" > ${base}/fping.txt 2>&1
fi
kill -TERM $PID 2>/dev/null
wait $PID
echo $? > ${base}/exit.txt
`;
  writeFileSync(join(base, 'script.sh'), script);
  const r = spawnSync('/usr/bin/unshare', ['--mount', '--net', '--propagation', 'private', '/bin/sh', join(base, 'script.sh')], { encoding: 'utf8', timeout: 180_000 });
  const read = (f: string) => (existsSync(join(base, f)) ? readFileSync(join(base, f), 'utf8').trim() : '');
  const healthText = read('health.json');
  return {
    health: healthText ? (JSON.parse(healthText) as SandboxResult['health']) : null,
    log: read('server.log'),
    script: `exit ${r.status}; ${r.stderr}`,
    exitCode: read('exit.txt'),
    fping: read('fping.txt'),
    writable: read('writable.txt'),
  };
}

describe.skipIf(missing.length > 0)('the built server as the pod runs it (uid 1000, NET_BIND_SERVICE + NET_RAW only, no_new_privs, read-only root)', () => {
  let result: SandboxResult;

  it('starts, migrates its database and writes its MIB index in the data dir only, binding 514 and 162 as uid 1000', () => {
    result = runSandbox(readDockerfile().nodeCapabilities, baseServerCapabilities());
    const why = `${result.script}\n${result.log.slice(-4000)}`;
    expect(result.writable, why).toBe('read-only');
    expect(result.health, why).not.toBeNull();
    expect(result.health!.status).toBe('ok');
    // The privileged ports themselves, not the 1514/1162 fallback.
    expect(result.health!.ports).toEqual({ http: 8080, syslog: 514, trap: 162 });
    expect(existsSync(join(base, 'data', 'netwatch.db'))).toBe(true);
    expect(existsSync(join(base, 'data', 'secret.key'))).toBe(true);
    // Nothing failed for want of a writable file system or a permission.
    const problems = result.log.split('\n').filter((l) => /EROFS|EACCES|EPERM|read-only file system/i.test(l));
    expect(problems, why).toEqual([]);
    const errors = result.log.split('\n').filter((l) => /"level":(50|60)/.test(l));
    expect(errors, why).toEqual([]);
  }, 200_000);

  it('stops cleanly on SIGTERM', () => {
    expect(result.exitCode, result.log.slice(-2000)).toBe('0');
  });

  it('passes NET_RAW on to fping under no_new_privs (ICMP polling)', () => {
    if (!existsSync('/usr/bin/fping')) return expect(result.fping).toBe('');
    expect(result.fping).toMatch(/^0 /);
  });

  it('binds 514 only when node is started directly: a shell in between (like node:20\'s entrypoint script) loses the capability', () => {
    const bind = join(base, 'bind-514.cjs');
    writeFileSync(bind, `require('dgram').createSocket('udp4').on('error', (e) => console.log(e.code)).bind(514, '127.0.0.1', function () { console.log('bound'); this.close(); });`);
    chmodSync(bind, 0o644);
    const pod = '/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --bounding-set=-all,+net_bind_service,+net_raw --no-new-privs';
    const node = join(base, 'bin', 'node');
    const inNetns = (cmd: string) => spawnSync('/usr/bin/unshare', ['--net', '/bin/sh', '-c', `ip link set lo up && ${cmd}`], { encoding: 'utf8' }).stdout.trim();
    expect(inNetns(`${pod} ${node} ${bind}`)).toBe('bound');
    expect(inNetns(`${pod} /bin/sh -c 'exec ${node} ${bind}'`)).toBe('EACCES');
  });

  it('cannot start node at all when one of the two capabilities is missing from the pod', () => {
    const r = spawnSync('/bin/sh', ['-c', `/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --bounding-set=-all,+net_raw --no-new-privs ${join(base, 'bin', 'node')} -e 0`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
  });
});
