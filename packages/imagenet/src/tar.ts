/**
 * A minimal reader for (gzipped) tar archives, enough for an npm package tarball: regular files
 * with ustar names (prefix + name), PAX `path` records and GNU long names. No dependency, no native code.
 */
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  data: Uint8Array;
}

function field(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return Buffer.from(block.buffer, block.byteOffset + start, end - start).toString('utf8');
}

function octal(block: Uint8Array, start: number, length: number): number {
  const s = field(block, start, length).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

/** The regular files of a tar archive (gunzipped first when it starts with the gzip magic). */
export function readTar(archive: Uint8Array): TarEntry[] {
  const tar = archive[0] === 0x1f && archive[1] === 0x8b ? new Uint8Array(gunzipSync(archive)) : archive;
  const out: TarEntry[] = [];
  let pos = 0;
  let paxPath: string | undefined;
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const name = field(header, 0, 100);
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const magic = field(header, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(header, 345, 155) : '';
    const dataStart = pos + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    if (data.length !== size) throw new Error(`tar: entry '${name}' is truncated`);
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(Buffer.from(data).toString('utf8'));
      paxPath = m?.[1];
    } else if (type === 'L') {
      // GNU long name: the next entry's path
      paxPath = Buffer.from(data).toString('utf8').replace(/\0+$/, '');
    } else {
      if (type === '0' || type === '\0' || type === '7')
        out.push({ path: paxPath ?? (prefix ? `${prefix}/${name}` : name), data });
      paxPath = undefined;
    }
    pos = dataStart + Math.ceil(size / 512) * 512;
  }
  return out;
}
