import type { StylesheetJson } from 'cytoscape';

/** Node colour: worst active alarm, else reachability. Link colour: oper status, then utilisation. */
export const SEVERITY_COLORS: Record<string, string> = {
  critical: '#c92a2a',
  major: '#e8590c',
  minor: '#f08c00',
  warning: '#fab005',
  info: '#4dabf7',
  debug: '#adb5bd',
};
export const STATUS_COLORS: Record<string, string> = { up: '#2b8a3e', down: '#c92a2a', unknown: '#868e96' };

/** Root-cause states (issue 17): a cause is red with a thick dark ring; a device behind it is grey, dashed. */
export const RC_COLORS = { cause: '#c92a2a', causeRing: '#5c0011', unreachable: '#adb5bd', unreachableBorder: '#495057', suppressed: '#862e9c' } as const;

export function nodeColor(n: { status: string; alarmSeverity: string | null; kind: string; reachability?: string; rootCause?: boolean }): string {
  if (n.kind === 'unmanaged') return '#ced4da';
  if (n.rootCause) return RC_COLORS.cause;
  // Behind a failed device: not down itself, and its alarms are suppressed, so not their colour either.
  if (n.reachability === 'unreachable') return RC_COLORS.unreachable;
  if (n.status === 'down') return STATUS_COLORS.down!;
  if (n.alarmSeverity && n.alarmSeverity !== 'info' && n.alarmSeverity !== 'debug') return SEVERITY_COLORS[n.alarmSeverity]!;
  return STATUS_COLORS[n.status] ?? STATUS_COLORS.unknown!;
}

export function linkColor(l: { status: string; utilPct: number | null }): string {
  if (l.status === 'down') return '#c92a2a';
  if (l.utilPct !== null && l.utilPct >= 90) return '#e8590c';
  if (l.utilPct !== null && l.utilPct >= 70) return '#f08c00';
  if (l.status === 'up') return '#2b8a3e';
  return '#adb5bd';
}

export const STYLE: StylesheetJson = [
  {
    selector: 'node',
    style: {
      'background-color': 'data(color)',
      label: 'data(label)',
      'font-size': 10,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      width: 22,
      height: 22,
      'border-width': 1,
      'border-color': '#495057',
      'min-zoomed-font-size': 8,
    },
  },
  { selector: 'node[kind = "unmanaged"]', style: { shape: 'round-rectangle', 'border-style': 'dashed' } },
  { selector: 'node.rc-unreachable', style: { 'border-style': 'dashed', 'border-width': 2, 'border-color': RC_COLORS.unreachableBorder, opacity: 0.75 } },
  { selector: 'node.rc-suppressed', style: { color: RC_COLORS.suppressed, 'font-weight': 'bold' } },
  { selector: 'node.rc-cause', style: { 'border-width': 6, 'border-style': 'double', 'border-color': RC_COLORS.causeRing, width: 30, height: 30, 'z-index': 10, color: RC_COLORS.cause, 'font-weight': 'bold' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#2f6fed' } },
  { selector: 'edge', style: { width: 2, 'line-color': 'data(color)', 'curve-style': 'haystack', 'haystack-radius': 0 } },
  { selector: 'edge[kind = "manual"]', style: { 'line-style': 'dashed' } },
];
