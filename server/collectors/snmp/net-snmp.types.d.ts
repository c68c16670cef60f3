/** The parts of net-snmp (CommonJS, untyped) that the collectors use. */
declare module 'net-snmp' {
  import type { EventEmitter } from 'node:events';

  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }
  export interface UserOptions {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    context?: string;
    idBitsSize?: 16 | 32;
    backwardsGetNexts?: boolean;
    dgramModule?: { createSocket(type: string): unknown };
    [k: string]: unknown;
  }
  export type ResponseCb = (error: Error | null, varbinds?: Varbind[]) => void;
  export type BulkResponseCb = (error: Error | null, varbinds?: (Varbind | Varbind[])[]) => void;
  export class Session extends EventEmitter {
    get(oids: string[], cb: ResponseCb): this;
    getNext(oids: string[], cb: ResponseCb): this;
    getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: BulkResponseCb): this;
    close(): this;
  }
  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: UserOptions, options?: SessionOptions): Session;
  export function createAgent(options: Record<string, unknown>, callback: (error: Error, data: unknown) => void, mib?: unknown): Agent;
  export interface Agent {
    getMib(): Mib;
    getAuthorizer(): Authorizer;
    close(callback?: () => void): void;
  }
  export interface Authorizer {
    addCommunity(community: string): void;
    addUser(user: UserOptions): void;
  }
  export interface Mib {
    registerProvider(provider: Record<string, unknown>): void;
    setScalarValue(name: string, value: unknown): boolean;
    addTableRow(name: string, row: unknown[]): boolean;
    setTableSingleCell(name: string, column: number, rowIndex: unknown[], value: unknown): boolean;
    getTableCells(name: string, byRows?: boolean, includeInstances?: boolean): unknown[][];
    deleteTableRow(name: string, rowIndex: unknown[]): boolean;
  }
  export function isVarbindError(vb: Varbind): boolean;
  export function varbindError(vb: Varbind): string;
  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const ErrorStatus: Record<string, number> & Record<number, string>;
  export const ObjectType: Record<string, number> & Record<number, string>;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<string, number>;
  export const PrivProtocols: Record<string, number>;
  export const MibProviderType: { Scalar: number; Table: number };
  export const MaxAccess: Record<string, number>;
  export const AccessLevel: Record<string, number>;
  export const ResponseInvalidCode: Record<string, number> & Record<number, string>;
  export class ResponseInvalidError extends Error { code: number; }
  export class RequestFailedError extends Error { status: number; }
  export class RequestTimedOutError extends Error {}
  export class RequestInvalidError extends Error {}
}
