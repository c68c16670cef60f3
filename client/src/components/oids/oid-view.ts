/** Pure helpers of the OID Dictionary page (unit tested). */
import type { MibIndexPart, MibNode, MibNodeKind } from '@contracts/mib';

const KIND_LABELS: Record<MibNodeKind, string> = {
  node: 'OID assignment',
  scalar: 'scalar object',
  table: 'table',
  row: 'table row',
  column: 'column',
  notification: 'notification',
  group: 'group',
  compliance: 'compliance statement',
  capabilities: 'agent capabilities',
  'module-identity': 'module identity',
  'object-identity': 'object identity',
};

export function kindLabel(kind: MibNodeKind | null | undefined): string {
  return kind ? KIND_LABELS[kind] ?? kind : 'unnamed arc';
}

/** `SYNTAX` as written, with the base type when a textual convention hides it: `DisplayString (OCTET STRING)`. */
export function syntaxText(node: Pick<MibNode, 'syntax' | 'baseType'>): string | null {
  if (!node.syntax && !node.baseType) return null;
  if (!node.syntax) return node.baseType;
  if (!node.baseType || node.baseType === node.syntax) return node.syntax;
  return `${node.syntax} (${node.baseType})`;
}

/** Enum labels sorted by value: `up(1), down(2)`. */
export function enumList(enums: Record<string, string> | null): { value: string; label: string }[] {
  if (!enums) return [];
  return Object.entries(enums)
    .map(([value, label]) => ({ value, label }))
    .sort((a, b) => Number(a.value) - Number(b.value));
}

export function indexText(index: MibIndexPart[] | null): string | null {
  if (!index || index.length === 0) return null;
  return index.map((p) => `${p.implied ? 'IMPLIED ' : ''}${p.name}`).join(', ');
}

/** Label/value lines of the details panel, in the order a MIB states them; empty fields left out. */
export function detailRows(node: MibNode): { key: string; label: string; value: string }[] {
  const rows: { key: string; label: string; value: string | null }[] = [
    { key: 'oid', label: 'OID', value: node.oid },
    { key: 'module', label: 'Module', value: node.module },
    { key: 'kind', label: 'Kind', value: kindLabel(node.kind) },
    { key: 'syntax', label: 'Syntax', value: syntaxText(node) },
    { key: 'hint', label: 'Display hint', value: node.displayHint },
    { key: 'units', label: 'Units', value: node.units },
    { key: 'access', label: 'Access', value: node.access },
    { key: 'status', label: 'Status', value: node.status },
    { key: 'index', label: 'Index', value: indexText(node.index) },
    { key: 'augments', label: 'Augments', value: node.augments },
    { key: 'objects', label: node.kind === 'notification' ? 'Objects' : 'Members', value: node.objects?.length ? node.objects.join(', ') : null },
  ];
  return rows.filter((r): r is { key: string; label: string; value: string } => r.value !== null && r.value !== '');
}

/**
 * A MIB DESCRIPTION as it reads best: lines after the first lose the
 * indentation they share (MIB files indent continuation lines), blank lines
 * kept as paragraph breaks, trailing blanks dropped.
 */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const rest = lines.slice(1).filter((l) => l.trim() !== '');
  const common = rest.length ? Math.min(...rest.map((l) => /^[ \t]*/.exec(l)![0].length)) : 0;
  const out = [lines[0]!.trim(), ...lines.slice(1).map((l) => (l.trim() === '' ? '' : l.slice(common).trimEnd()))];
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** What the MIB browser asks for by default: the qualified name of the node. */
export function browseTarget(node: Pick<MibNode, 'module' | 'name'>): string {
  return `${node.module}::${node.name}`;
}

/** Calls `fn` once `ms` passed without another call. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = (...args: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  return Object.assign(run, {
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  });
}
