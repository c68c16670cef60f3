declare module 'snappyjs' {
  /** Snappy block format (not framed). */
  export function compress<T extends Uint8Array | ArrayBuffer>(data: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(data: T, maxLength?: number): T;
  const snappy: { compress: typeof compress; uncompress: typeof uncompress };
  export default snappy;
}
