/** OID dictionary DTOs, shared with the console via `import type`. */

export type MibNodeKind =
  | 'node'
  | 'scalar'
  | 'table'
  | 'row'
  | 'column'
  | 'notification'
  | 'group'
  | 'compliance'
  | 'capabilities'
  | 'module-identity'
  | 'object-identity';

export interface MibIndexPart {
  name: string;
  /** Module of the index object when known. */
  module: string | null;
  implied: boolean;
}

export interface MibNode {
  oid: string;
  name: string;
  module: string;
  kind: MibNodeKind;
  /** The SYNTAX as written (type name), e.g. `DisplayString`, `INTEGER`. */
  syntax: string | null;
  /** The underlying SMI type after following textual conventions, e.g. `OCTET STRING`, `Counter32`. */
  baseType: string | null;
  enums: Record<string, string> | null;
  displayHint: string | null;
  units: string | null;
  access: string | null;
  status: string | null;
  description: string | null;
  /** Rows: INDEX objects (for AUGMENTS rows, the augmented row's INDEX). */
  index: MibIndexPart[] | null;
  augments: string | null;
  /** Notifications (OBJECTS / VARIABLES) and groups (OBJECTS / NOTIFICATIONS): member names. */
  objects: string[] | null;
}

export interface MibError {
  module: string | null;
  file: string;
  reason: string;
  line: number | null;
}

export type MibModuleState = 'ok' | 'warning' | 'error';

export interface MibModuleInfo {
  name: string;
  file: string;
  status: MibModuleState;
  nodes: number;
  imports: string[];
  errors: MibError[];
  /** Other files that define the same module and were not used. */
  shadowed: string[];
}

export interface MibCompileResult {
  filesSeen: number;
  /** Files read and parsed in this run (0 on a warm start with unchanged files). */
  filesCompiled: number;
  /** Modules whose nodes were (re)built in this run. */
  modulesCompiled: number;
  modulesLoaded: number;
  modulesFailed: number;
  nodes: number;
  durationMs: number;
  /** Files that could not be read or parsed at all (no module name known). */
  errors: MibError[];
}

/** A file of a MIB bundle that was not used, and why (not a MIB, a link, too large, unsafe path...). */
export interface MibBundleSkip {
  /** Path inside the archive. */
  path: string;
  reason: string;
}

/** What one bundle upload did: one report for the whole archive. */
export interface MibBundleReport {
  /** Name the bundle is stored under (`<dataDir>/mibs/bundles/<name>/`); a later upload of that name replaces it. */
  bundle: string;
  format: 'zip' | 'tar' | 'tar.gz';
  /** Entries in the archive (files, directories, links). */
  entries: number;
  /** MIB files stored from it. */
  files: number;
  /** Modules defined by the bundle's files, with their status (ok, warning, error) and errors. */
  modules: (MibModuleInfo & { path: string })[];
  /** Names of the bundle's modules that loaded (ok or with warnings). */
  compiled: string[];
  /** Modules that did not load, with the reason (missing or failed imports, cycles). */
  failed: { module: string; path: string; reason: string }[];
  /** Imported modules that are installed nowhere, and which bundle modules need them. */
  missingImports: { module: string; importedBy: string[] }[];
  /** Files not used: not a MIB, does not parse, link, device, too large, unsafe path. */
  skipped: MibBundleSkip[];
  /** A module defined more than once (in the bundle, or also elsewhere): which file is used. */
  duplicates: { module: string; used: string; others: string[] }[];
  durationMs: number;
}

export interface ResolvedOid {
  /** The numeric OID asked for. */
  oid: string;
  /** The longest known prefix, or null when nothing matched. */
  node: MibNode | null;
  /** Numeric suffix after the node's OID ('' when exact). */
  instance: string;
  /** `MODULE::name.instance`, or the numeric OID when unknown. */
  label: string;
}

export interface NameCandidates {
  name: string;
  candidates: MibNode[];
}

export interface MibSearchHit {
  node: MibNode;
  score: number;
}

export interface MibTreeChild {
  oid: string;
  name: string | null;
  module: string | null;
  kind: MibNodeKind | null;
  hasChildren: boolean;
}
