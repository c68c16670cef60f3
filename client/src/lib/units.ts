/** Human units for rates and durations on the device page (pure). */
export function formatBps(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = bps;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 2 : v < 100 && i > 0 ? 1 : 0)} ${units[i]}`;
}

export function formatSpeed(bps: number | null | undefined): string {
  if (!bps) return '—';
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(1)}G`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(1)}M`;
  if (bps >= 1e3) return `${+(bps / 1e3).toFixed(1)}k`;
  return `${bps}`;
}

const OPER: Record<number, string> = { 1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' };
export const operLabel = (s: number | null) => (s === null ? '—' : (OPER[s] ?? String(s)));

/** Chart titles for the metric names the poller stores. */
export const METRIC_TITLES: Record<string, string> = {
  ifInBps: 'Traffic in',
  ifOutBps: 'Traffic out',
  ifUtilisation: 'Interface utilisation',
  ifInErrors: 'Input errors/s',
  ifOutErrors: 'Output errors/s',
  ifInDiscards: 'Input discards/s',
  ifOutDiscards: 'Output discards/s',
  cpuUtilisation: 'CPU load',
  memoryUsedPct: 'Memory used',
  storageUsedPct: 'Storage used',
  loadAverage1: 'Load average (1 min)',
  loadAverage5: 'Load average (5 min)',
  loadAverage15: 'Load average (15 min)',
  icmpRtt: 'Ping round-trip time',
  icmpLoss: 'Ping loss',
  icmpJitter: 'Ping jitter',
  sysUpTime: 'Uptime',
};
