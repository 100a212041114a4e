/**
 * Address helpers. IPv4 addresses are unsigned 32-bit numbers; IPv6 addresses are 16 bytes in a
 * Uint8Array (with an offset where they sit inside a frame); MAC addresses are 6 bytes.
 */

export function formatIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/**
 * Parse dotted-quad IPv4; returns -1 when the text is not an IPv4 address. Leading zeros ("010") are
 * refused, as inet_pton does, since other parsers read them as octal.
 */
export function parseIpv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** RFC 5952 text form of the 16 bytes at `off`. IPv4-mapped addresses print as ::ffff:a.b.c.d. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIpv4(((g[6]! << 16) | g[7]!) >>> 0)}`;
  }
  // Longest run of zero groups (length >= 2), first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16));
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}

/** Parse an IPv6 address (incl. `::` and a dotted IPv4 tail) into `out[off..off+16]`; false if invalid. */
export function parseIpv6(s: string, out: Uint8Array, off = 0): boolean {
  if (s.length === 0 || s.length > 45) return false;
  let text = s;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    // A dotted IPv4 tail stands for the last two groups.
    const v4 = parseIpv4(tail);
    if (v4 < 0) return false;
    text = `${text.slice(0, text.length - tail.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const words: number[] = [];
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parseGroups = (t: string): number[] | undefined => {
    if (t === '') return [];
    const out: number[] = [];
    for (const p of t.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(Number.parseInt(p, 16));
    }
    return out;
  };
  const first = parseGroups(halves[0]!);
  if (!first) return false;
  if (halves.length === 2) {
    const second = parseGroups(halves[1]!);
    if (!second) return false;
    const zeros = 8 - first.length - second.length;
    if (zeros < 1) return false;
    words.push(...first, ...new Array<number>(zeros).fill(0), ...second);
  } else {
    words.push(...first);
  }
  if (words.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = words[i]! >>> 8;
    out[off + 2 * i + 1] = words[i]! & 0xff;
  }
  return true;
}

export function formatMac(b: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    if (i) s += ':';
    const x = b[off + i]!;
    s += (x < 16 ? '0' : '') + x.toString(16);
  }
  return s;
}

/** Parse `aa:bb:cc:dd:ee:ff` (or with `-` throughout) into out; false if invalid. */
export function parseMac(s: string, out: Uint8Array, off = 0): boolean {
  const parts = s.split(s.includes('-') ? '-' : ':');
  if (parts.length !== 6) return false;
  for (const p of parts) if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return false;
  for (let i = 0; i < 6; i++) out[off + i] = Number.parseInt(parts[i]!, 16);
  return true;
}
