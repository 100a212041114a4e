/**
 * The virtio-net header a TUN/TAP device with `IFF_VNET_HDR` puts in front of every frame
 * (little-endian on the hosts this runs on; 10 bytes, 12 with `num_buffers`):
 *
 *   0  flags        u8   NEEDS_CSUM (1): checksum partial, fill at csum_start + csum_offset;
 *                        DATA_VALID (2): checksum already verified
 *   1  gso_type     u8   NONE 0, TCPV4 1, UDP 3, TCPV6 4, ECN flag 0x80
 *   2  hdr_len      u16  bytes of headers (link + IP + TCP) in front of the payload
 *   4  gso_size     u16  payload bytes per segment
 *   6  csum_start   u16  where the checksummed region starts (from the frame start)
 *   8  csum_offset  u16  where the checksum field sits, from csum_start
 *  10  num_buffers  u16  (12-byte form only)
 *
 * `txHeader` builds the header for an outgoing frame whose TCP/UDP checksum the kernel must fill
 * (and, for a TCP packet longer than the MTU, the segmentation request), writing the
 * pseudo-header sum into the frame's checksum field as the kernel expects of a partial checksum.
 */
export const VNET_HDR_LEN = 10;
export const VNET_HDR_LEN_MRG = 12;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

export class VnetHdr {
  flags = 0;
  gsoType = 0;
  hdrLen = 0;
  gsoSize = 0;
  csumStart = 0;
  csumOffset = 0;

  /** Reads the header at `buf[off, off + 10)`; false when fewer than 10 bytes are there. */
  parse(buf: Uint8Array, off: number, len: number): boolean {
    if (len < VNET_HDR_LEN || off < 0 || off + VNET_HDR_LEN > buf.length) return false;
    this.flags = buf[off]!;
    this.gsoType = buf[off + 1]!;
    this.hdrLen = buf[off + 2]! | (buf[off + 3]! << 8);
    this.gsoSize = buf[off + 4]! | (buf[off + 5]! << 8);
    this.csumStart = buf[off + 6]! | (buf[off + 7]! << 8);
    this.csumOffset = buf[off + 8]! | (buf[off + 9]! << 8);
    return true;
  }

  /** Writes `hdrLenBytes` (10 or 12) bytes at `off`; num_buffers is written as 0. */
  emit(buf: Uint8Array, off: number, hdrLenBytes: number): number {
    buf[off] = this.flags;
    buf[off + 1] = this.gsoType;
    le16(buf, off + 2, this.hdrLen);
    le16(buf, off + 4, this.gsoSize);
    le16(buf, off + 6, this.csumStart);
    le16(buf, off + 8, this.csumOffset);
    if (hdrLenBytes >= VNET_HDR_LEN_MRG) le16(buf, off + 10, 0);
    return hdrLenBytes;
  }

  clear(): this {
    this.flags = 0;
    this.gsoType = 0;
    this.hdrLen = 0;
    this.gsoSize = 0;
    this.csumStart = 0;
    this.csumOffset = 0;
    return this;
  }

  equals(o: VnetHdr): boolean {
    return (
      this.flags === o.flags &&
      this.gsoType === o.gsoType &&
      this.hdrLen === o.hdrLen &&
      this.gsoSize === o.gsoSize &&
      this.csumStart === o.csumStart &&
      this.csumOffset === o.csumOffset
    );
  }
}

function le16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

function sumWords(b: Uint8Array, o: number, n: number, acc: number): number {
  for (let i = 0; i < n; i += 2) acc += (b[o + i]! << 8) | b[o + i + 1]!;
  return acc;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Fills `h` for the frame `buf[off, off + len)` (an IP packet, or an Ethernet frame when `eth`)
 * and, for TCP/UDP, writes the pseudo-header sum into its checksum field. `mtu` is the IP MTU:
 * a TCP packet longer than it gets a segmentation request with segments that fit the MTU.
 * Anything else (ICMP, fragments, IPv6 with extension headers, unknown ethertypes) gets an empty
 * header: its checksums are complete already. Never reads outside `[off, off + len)`.
 */
export function txHeader(h: VnetHdr, buf: Uint8Array, off: number, len: number, eth: boolean, mtu: number): void {
  h.clear();
  let l3 = off;
  let version = 0;
  if (eth) {
    if (len < 14) return;
    const type = (buf[off + 12]! << 8) | buf[off + 13]!;
    if (type === 0x0800) version = 4;
    else if (type === 0x86dd) version = 6;
    else return;
    l3 = off + 14;
  }
  const end = off + len;
  if (l3 + 1 > end) return;
  const v = buf[l3]! >>> 4;
  if (version !== 0 && v !== version) return;
  let l4: number;
  let proto: number;
  let pseudo: number;
  let ipLen: number;
  if (v === 4) {
    if (l3 + 20 > end) return;
    const ihl = (buf[l3]! & 0x0f) * 4;
    ipLen = (buf[l3 + 2]! << 8) | buf[l3 + 3]!;
    if (ihl < 20 || ipLen < ihl || l3 + ipLen > end) return;
    if (((buf[l3 + 6]! & 0x3f) | buf[l3 + 7]!) !== 0) return; // a fragment: checksum is end to end
    proto = buf[l3 + 9]!;
    l4 = l3 + ihl;
    pseudo = sumWords(buf, l3 + 12, 8, proto + (ipLen - ihl));
  } else if (v === 6) {
    if (l3 + 40 > end) return;
    const pay = (buf[l3 + 4]! << 8) | buf[l3 + 5]!;
    ipLen = 40 + pay;
    if (l3 + ipLen > end) return;
    proto = buf[l3 + 6]!;
    l4 = l3 + 40;
    pseudo = sumWords(buf, l3 + 8, 32, proto + pay);
  } else {
    return;
  }
  const l4Len = l3 + ipLen - l4;
  let field: number;
  if (proto === 6) {
    if (l4Len < 20) return;
    const thl = (buf[l4 + 12]! >>> 4) * 4;
    if (thl < 20 || thl > l4Len) return;
    field = 16;
    if (ipLen > mtu) {
      const mss = mtu - (l4 - l3) - thl;
      if (mss <= 0) return;
      h.gsoType = v === 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
      if ((buf[l4 + 13]! & 0x80) !== 0) h.gsoType |= VIRTIO_NET_HDR_GSO_ECN; // CWR set
      h.gsoSize = mss;
      h.hdrLen = l4 - off + thl;
    }
  } else if (proto === 17) {
    if (l4Len < 8) return;
    field = 6;
  } else {
    return;
  }
  const s = fold(pseudo);
  buf[l4 + field] = s >>> 8;
  buf[l4 + field + 1] = s & 0xff;
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.csumStart = l4 - off;
  h.csumOffset = field;
}
