/**
 * The addresses a transport checksum covers, for either IP version, without allocation: a stage
 * fills one `ChecksumAddresses` per packet. For IPv4 set `src4`/`dst4` and leave `v6` undefined;
 * for IPv6 point `v6` at the buffer holding both addresses (`src6Off`, `dst6Off`).
 */
import { pseudoSum4, pseudoSum6 } from './checksum.js';

export interface ChecksumAddresses {
  src4: number;
  dst4: number;
  v6: Uint8Array | undefined;
  src6Off: number;
  dst6Off: number;
}

export function checksumAddresses4(src: number, dst: number): ChecksumAddresses {
  return { src4: src, dst4: dst, v6: undefined, src6Off: 0, dst6Off: 0 };
}

/** Addresses of an IPv6 header at `ipOff` in `buf` (source at +8, destination at +24). */
export function checksumAddresses6(buf: Uint8Array, ipOff: number): ChecksumAddresses {
  return { src4: 0, dst4: 0, v6: buf, src6Off: ipOff + 8, dst6Off: ipOff + 24 };
}

export function transportSum(a: ChecksumAddresses, protocol: number, length: number): number {
  return a.v6 === undefined
    ? pseudoSum4(a.src4, a.dst4, protocol, length)
    : pseudoSum6(a.v6, a.src6Off, a.v6, a.dst6Off, protocol, length);
}
