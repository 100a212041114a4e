/**
 * The IP-version variants the two upstream packetdrill runners run a script in, with the addresses
 * and `-D` defines each passes (LANGUAGE.md §11). The drill runner and the corpus tools take their
 * configuration from here, so a script sees exactly what it would upstream.
 */

export type IpVersion = 'ipv4' | 'ipv6' | 'ipv4-mapped-ipv6';
export type RunnerFlavor = 'google' | 'kernel';

export interface VariantConfig {
  readonly version: IpVersion;
  readonly localIp: string;
  readonly gatewayIp: string;
  /** Prefix length of the local network. */
  readonly prefixLen: number;
  readonly remoteIp: string;
  readonly mtu: number;
  /** The `-D NAME=VALUE` defines the runner passes. */
  readonly defines: Readonly<Record<string, string>>;
}

// The TFO cookie values are what Linux computes for these addresses with the baseline's key.
const V4_DEFINES = {
  TFO_COOKIE: '3021b9d889017eeb',
  TFO_COOKIE_ZERO: 'b7c12350a90dc8f5',
  CMSG_LEVEL_IP: 'SOL_IP',
  CMSG_TYPE_RECVERR: 'IP_RECVERR',
} as const;

const V6_DEFINES = {
  TFO_COOKIE: 'c1d1e9742a47a9bc',
  TFO_COOKIE_ZERO: '82af1a8f9a205c34',
  CMSG_LEVEL_IP: 'SOL_IPV6',
  CMSG_TYPE_RECVERR: 'IPV6_RECVERR',
} as const;

/** The configuration of one variant as `runner` passes it. */
export function variantConfig(version: IpVersion, runner: RunnerFlavor = 'google'): VariantConfig {
  if (version === 'ipv6') {
    return {
      version,
      localIp: 'fd3d:a0b:17d6::1',
      gatewayIp: 'fd3d:a0b:17d6:8888::1',
      prefixLen: 64,
      remoteIp: 'fd3d:fa7b:d17d::1',
      mtu: 1520,
      defines: V6_DEFINES,
    };
  }
  const defines: Record<string, string> = { ...V4_DEFINES };
  if (runner === 'google') defines.CODE = 'host_unreachable';
  // The google runner's mapped variant reads errors at the IPv6 level.
  if (version === 'ipv4-mapped-ipv6') defines.CMSG_LEVEL_IP = 'SOL_IPV6';
  return {
    version,
    localIp: '192.168.0.1',
    gatewayIp: '192.168.0.1',
    prefixLen: 16,
    remoteIp: '192.0.2.1',
    mtu: 1500,
    defines,
  };
}

/**
 * The variants `runner` runs a script in. google: ipv4 and ipv4-mapped-ipv6 unless the file name ends
 * in `v6.pkt`, ipv6 unless it ends in `v4.pkt`. kernel: the one version a `--ip_version=` line pins,
 * else ipv4 and ipv6 (never the mapped variant). Returns an error text for a pin the kernel runner
 * refuses.
 */
export function variantsFor(
  file: string,
  scriptText: string,
  runner: RunnerFlavor = 'google',
): IpVersion[] | string {
  if (runner === 'google') {
    const out: IpVersion[] = [];
    if (!file.endsWith('v6.pkt')) out.push('ipv4', 'ipv4-mapped-ipv6');
    if (!file.endsWith('v4.pkt')) out.push('ipv6');
    return out;
  }
  const pins = [...scriptText.matchAll(/^--ip_version=(\S*)/gm)].map((m) => m[1]);
  if (pins.length === 0) return ['ipv4', 'ipv6'];
  if (pins.length === 1 && (pins[0] === 'ipv4' || pins[0] === 'ipv6')) return [pins[0]];
  return `${file}: the kernel runner accepts at most one --ip_version line, of ipv4 or ipv6 (found ${pins.join(', ')})`;
}
