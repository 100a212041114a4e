/**
 * The live state of the connection under test that the packet half of the drill runner reads and
 * updates (LANGUAGE.md §6.7–§6.11): addresses and ports per IP-version variant, the remote and
 * local ISNs, the outbound TS val map and the IPv6 flow-label pairing. Plus the script options
 * that steer packet building and matching (§4).
 */

import { parseIpv4, parseIpv6 } from '../../../core/wire/address.js';
import type { IpVersion, VariantConfig } from '../../variants.js';

/** Script/command-line options that concern packets (LANGUAGE.md §4). */
export interface PacketConfig {
  /** Script file name for error messages (`file:LINE: error handling packet: ...`). */
  readonly file: string;
  /** `--tolerance_usecs` (default 4000). */
  readonly toleranceUsecs: number;
  /** `--tolerance_percent` (default 12.5). */
  readonly tolerancePercent: number;
  /** `--tcp_ts_tick_usecs` (0 = outbound TS val not checked). */
  readonly tcpTsTickUsecs: number;
  /** `--tcp_ts_ecr_scaled`. */
  readonly tcpTsEcrScaled: boolean;
  /** `--strict_segments`: no aggregation of outbound segments. */
  readonly strictSegments: boolean;
  /** `--non_fatal=packet`: header/option/payload/timing mismatches become warnings. */
  readonly nonFatalPacket: boolean;
  /** `--mss=N`: inbound TCP packets are injected as GRO aggregates of this segment size (0 = off). */
  readonly mss: number;
}

export const DEFAULT_PACKET_CONFIG: PacketConfig = {
  file: '<script>',
  toleranceUsecs: 4000,
  tolerancePercent: 12.5,
  tcpTsTickUsecs: 0,
  tcpTsEcrScaled: false,
  strictSegments: false,
  nonFatalPacket: false,
  mss: 0,
};

export function packetConfig(over: Partial<PacketConfig> = {}): PacketConfig {
  return { ...DEFAULT_PACKET_CONFIG, ...over };
}

/**
 * One connection under test. Addresses are those on the wire: the ipv4-mapped-ipv6 variant puts
 * IPv4 on the wire, so `family` is 4 for it.
 */
export class ConnState {
  /** Wire family. */
  family: 4 | 6 = 4;
  local4 = 0;
  remote4 = 0;
  readonly local6 = new Uint8Array(16);
  readonly remote6 = new Uint8Array(16);
  /** Local (SUT) port; 0 = not known yet (active open: learned from the first outbound SYN). */
  localPort = 0;
  remotePort = 0;

  /** R: the remote ISN, used literally on the wire (§6.7). */
  remoteIsn = 0;
  /** L_live: the SUT's ISN, learned from its SYN or SYN-ACK. */
  localIsnLive = 0;
  /** L_script: the seq written on the script's outbound SYN or SYN-ACK line. */
  localIsnScript = 0;
  /** True once L_live/L_script are known; until then a scripted outbound SYN teaches them. */
  localIsnKnown = false;

  /** §6.8: first outbound TS seen (script val, live val). */
  foundFirstTs = false;
  firstScriptTsVal = 0;
  firstLiveTsVal = 0;
  /** Script TS val → live TS val of every outbound TS (a later entry overwrites). */
  readonly tsValMap = new Map<number, number>();

  /** §6.9: the current (script, live) IPv6 flow-label pair; 0 = none yet. */
  flowLabelScript = 0;
  flowLabelLive = 0;

  /** A connection with the addresses of `variant` (local = the SUT, remote = the peer). */
  static forVariant(variant: VariantConfig | IpVersion, localPort = 8080, remotePort = 0): ConnState {
    const v = typeof variant === 'string' ? undefined : variant;
    const version = typeof variant === 'string' ? variant : variant.version;
    const c = new ConnState();
    c.localPort = localPort;
    c.remotePort = remotePort;
    if (version === 'ipv6') {
      c.family = 6;
      parseIpv6(v?.localIp ?? 'fd3d:a0b:17d6::1', c.local6);
      parseIpv6(v?.remoteIp ?? 'fd3d:fa7b:d17d::1', c.remote6);
    } else {
      c.family = 4;
      c.local4 = parseIpv4(v?.localIp ?? '192.168.0.1');
      c.remote4 = parseIpv4(v?.remoteIp ?? '192.0.2.1');
    }
    return c;
  }

  /** Offset added to an inbound script seq (§6.7): 0 on a SYN, R otherwise. */
  remoteSeqScriptToLive(isSyn: boolean): number {
    return isSyn ? 0 : this.remoteIsn;
  }

  /** Offset added to an inbound script ack/SACK block: L_live − L_script on a SYN, L_live otherwise. */
  localSeqScriptToLive(isSyn: boolean): number {
    return isSyn ? (this.localIsnLive - this.localIsnScript) >>> 0 : this.localIsnLive;
  }

  /** Offset added to an outbound live seq: L_script − L_live on a SYN, −L_live otherwise. */
  localSeqLiveToScript(isSyn: boolean): number {
    return isSyn ? (this.localIsnScript - this.localIsnLive) >>> 0 : -this.localIsnLive >>> 0;
  }

  /** Offset added to an outbound live ack/SACK block: 0 on a SYN, −R otherwise. */
  remoteSeqLiveToScript(isSyn: boolean): number {
    return isSyn ? 0 : -this.remoteIsn >>> 0;
  }

  /**
   * §6.8: the live TS ecr to inject for a script ecr, or an error text. `ecrScaled` is
   * `--tcp_ts_ecr_scaled`.
   */
  liveTsEcr(scriptEcr: number, ecrScaled: boolean): number | string {
    const live = this.tsValMap.get(scriptEcr >>> 0);
    if (live !== undefined) return live;
    if (ecrScaled && this.foundFirstTs) {
      return (scriptEcr - this.firstScriptTsVal + this.firstLiveTsVal) >>> 0;
    }
    return `unable to infer live TS ecr for script TS ecr ${scriptEcr >>> 0};  no matching or preceding outbound TS val`;
  }

  /** §6.8: record an outbound TS pair and return the live val mapped into script space. */
  recordOutboundTs(scriptVal: number, liveVal: number): number {
    this.tsValMap.set(scriptVal >>> 0, liveVal >>> 0);
    if (!this.foundFirstTs) {
      this.foundFirstTs = true;
      this.firstScriptTsVal = scriptVal >>> 0;
      this.firstLiveTsVal = liveVal >>> 0;
    }
    return (this.firstScriptTsVal + (liveVal - this.firstLiveTsVal)) >>> 0;
  }
}
