/** The parts of net-snmp's trap receiver that the trap collector uses (merged with collectors/snmp/net-snmp.types.d.ts). */
declare module 'net-snmp' {
  export const PduType: Record<string, number> & Record<number, string>;
  export interface Authorizer {
    getUsers(): UserOptions[];
    deleteUser(userName: string): void;
    getCommunities(): string[];
    deleteCommunity(community: string): void;
  }
  export interface ReceiverOptions {
    port?: number;
    transport?: 'udp4' | 'udp6';
    sockets?: { transport: 'udp4' | 'udp6'; address?: string | null; port?: number }[];
    disableAuthorization?: boolean;
    includeAuthentication?: boolean;
    engineID?: string | Buffer;
    context?: string;
    dgramModule?: { createSocket(type: string): unknown };
  }
  export interface Receiver {
    getAuthorizer(): Authorizer;
    close(callback?: (info: unknown) => void): void;
  }
  export function createReceiver(options: ReceiverOptions, callback: (error: Error | null, data?: { pdu: Record<string, unknown>; rinfo: { address: string; port: number; family: string; size: number } }) => void): Receiver;
}
