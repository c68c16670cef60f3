/** Webhook messages as Alertmanager 0.25 sends them, for the unit tests. */
/** A message as Alertmanager 0.25 sends it (webhook_configs, version 4). */
export function webhook(alerts: unknown[], over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    receiver: 'netwatch',
    status: 'firing',
    alerts,
    groupLabels: { alertname: 'NodeDown' },
    commonLabels: { alertname: 'NodeDown' },
    commonAnnotations: {},
    externalURL: 'http://am.example:9093',
    version: '4',
    groupKey: '{}:{alertname="NodeDown"}',
    truncatedAlerts: 0,
    ...over,
  };
}

export function alert(labels: Record<string, string>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: 'firing',
    labels,
    annotations: { summary: 'node is down' },
    startsAt: '2026-12-07T05:00:00.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prom:9090/graph?g0.expr=up+%3D%3D+0',
    fingerprint: 'c6ff0a3b9f2a4d11',
    ...over,
  };
}

