import dgram from 'node:dgram';

/**
 * A misbehaving SNMP agent for tests: a UDP proxy in front of a real agent
 * (snmpd) that answers some v1/v2c requests itself with an error status
 * (tooBig, genErr) instead of forwarding them, the way small embedded agents
 * do. Decides per request from its PDU type, max-repetitions and varbind count.
 */
export type Quirk = 'forward' | 'tooBig' | 'genErr';
export interface RequestInfo {
  pduType: number; // 0xa0 get, 0xa1 getnext, 0xa5 getbulk
  maxRepetitions: number | null;
  varbinds: number;
}

interface Tlv {
  tag: number;
  start: number; // first byte of the value
  end: number; // one past the value
}

function readTlv(buf: Buffer, pos: number): Tlv {
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len };
}

function readInt(buf: Buffer, t: Tlv): number {
  let v = 0;
  for (let i = t.start; i < t.end; i++) v = v * 256 + buf[i]!;
  return v;
}

function encLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, value: Buffer) => Buffer.concat([Buffer.from([tag]), encLen(value.length), value]);
const int = (n: number) => {
  const bytes: number[] = [];
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
};

/** Parses a community message enough to decide, and builds an error response. */
export function inspect(msg: Buffer): { info: RequestInfo; respond(status: number): Buffer } | null {
  try {
    const outer = readTlv(msg, 0);
    const ver = readTlv(msg, outer.start);
    const comm = readTlv(msg, ver.end);
    const pdu = readTlv(msg, comm.end);
    const reqId = readTlv(msg, pdu.start);
    const f2 = readTlv(msg, reqId.end);
    const f3 = readTlv(msg, f2.end);
    const vbl = readTlv(msg, f3.end);
    let count = 0;
    for (let p = vbl.start; p < vbl.end; p = readTlv(msg, p).end) count++;
    const info: RequestInfo = { pduType: pdu.tag, maxRepetitions: pdu.tag === 0xa5 ? readInt(msg, f3) : null, varbinds: count };
    const respond = (status: number) => {
      // GetResponse: the request id TLV as sent, then error-status, error-index 0, no varbinds.
      const pduOut = tlv(0xa2, Buffer.concat([msg.subarray(pdu.start, reqId.end), int(status), int(0), tlv(0x30, Buffer.alloc(0))]));
      return tlv(0x30, Buffer.concat([msg.subarray(outer.start, comm.end), pduOut]));
    };
    return { info, respond };
  } catch {
    return null;
  }
}

export interface QuirkyAgent {
  port: number;
  seen: RequestInfo[];
  close(): Promise<void>;
}

export async function startQuirkyAgent(upstream: { address: string; port: number }, decide: (r: RequestInfo) => Quirk): Promise<QuirkyAgent> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  const seen: RequestInfo[] = [];
  let client: dgram.RemoteInfo | null = null;
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    const parsed = inspect(msg);
    const q = parsed ? decide(parsed.info) : 'forward';
    if (parsed) seen.push(parsed.info);
    if (q === 'forward' || !parsed) back.send(msg, upstream.port, upstream.address);
    else front.send(parsed.respond(q === 'tooBig' ? 1 : 5), rinfo.port, rinfo.address);
  });
  back.on('message', (msg) => {
    if (client) front.send(msg, client.port, client.address);
  });
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
  return {
    port: front.address().port,
    seen,
    close: async () => {
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => back.close(() => r()));
    },
  };
}
