/** Internal shapes shared by the MIB compiler, its index and the dictionary. */
import type { MibError, MibModuleState, MibNode } from '../contracts/mib.js';

export interface TypeInfo {
  baseType: string;
  enums: [string, number][] | null;
  displayHint: string | null;
}

/** What the loader must know about a module without parsing it again. */
export interface ModuleHeader {
  name: string;
  line: number;
  imports: { module: string; symbols: string[] }[];
  /** SMIv2 modules have a MODULE-IDENTITY; their nodes win over SMIv1 duplicates. */
  smiV2: boolean;
}

export interface CompiledModule {
  name: string;
  file: string;
  /** Content hash of the source file. */
  hash: string;
  /** Hash of the source plus the keys of every imported module: unchanged key = reusable. */
  key: string;
  status: MibModuleState;
  errors: MibError[];
  imports: string[];
  smiV2: boolean;
  nodes: MibNode[];
  types: Record<string, TypeInfo>;
}

/** SMI base types: terminal when following textual conventions. */
export const PRIMITIVE_TYPES = new Set([
  'INTEGER',
  'Integer32',
  'Unsigned32',
  'Gauge32',
  'Gauge',
  'Counter32',
  'Counter',
  'Counter64',
  'TimeTicks',
  'IpAddress',
  'NetworkAddress',
  'Opaque',
  'OCTET STRING',
  'OBJECT IDENTIFIER',
  'BITS',
]);
