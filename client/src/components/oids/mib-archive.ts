/** Whether a picked file is a MIB bundle: by its first bytes (zip, gzip, tar), or its name. */
export async function isArchive(file: Blob & { name: string }): Promise<boolean> {
  if (/\.(tar\.gz|tgz|tar|zip)$/i.test(file.name)) return true;
  const head = new Uint8Array(await file.slice(0, 262).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return true;
  if (head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar';
}
