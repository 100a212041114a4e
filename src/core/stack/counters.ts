/**
 * Per-stack counters: one slot per `DropReason` (why a frame or packet was not accepted) and MIB
 * groups under the names Linux prints in /proc/net/snmp and /proc/net/snmp6 (`Ip`, `Icmp`, `Udp`;
 * `Ip6*`, `Icmp6*`, `Udp6*` folded into per-version objects here).
 */
import { DropReason, dropReasonName } from '../wire/drop.js';

/** Slots in the drop table: above the largest DropReason in use. */
const DROP_SLOTS = 128;

export class DropCounters {
  private readonly counts = new Float64Array(DROP_SLOTS);
  total = 0;

  count(r: DropReason): void {
    this.counts[r & (DROP_SLOTS - 1)]!++;
    this.total++;
  }

  get(r: DropReason): number {
    return this.counts[r & (DROP_SLOTS - 1)]!;
  }

  /** Non-zero counters by reason name. */
  toObject(): Record<string, number> {
    const o: Record<string, number> = {};
    for (let i = 1; i < DROP_SLOTS; i++) if (this.counts[i]! > 0) o[dropReasonName(i as DropReason)] = this.counts[i]!;
    return o;
  }
}

/** IP group (IPv4 `Ip:` / IPv6 `Ip6*`). */
export class IpMib {
  InReceives = 0;
  InHdrErrors = 0;
  InAddrErrors = 0;
  InUnknownProtos = 0;
  InTruncatedPkts = 0;
  InDiscards = 0;
  InDelivers = 0;
  OutRequests = 0;
  OutDiscards = 0;
  OutNoRoutes = 0;
  ReasmReqds = 0;
  ReasmOKs = 0;
  ReasmFails = 0;
  ReasmTimeout = 0;
  FragOKs = 0;
  FragFails = 0;
  FragCreates = 0;
  InCsumErrors = 0;
}

/** ICMP group (`Icmp:` / `Icmp6*`). */
export class IcmpMib {
  InMsgs = 0;
  InErrors = 0;
  InCsumErrors = 0;
  InDestUnreachs = 0;
  InPktTooBigs = 0;
  InTimeExcds = 0;
  InParmProbs = 0;
  InEchos = 0;
  InEchoReps = 0;
  InNeighborSolicits = 0;
  InNeighborAdvertisements = 0;
  OutMsgs = 0;
  OutErrors = 0;
  OutDestUnreachs = 0;
  OutTimeExcds = 0;
  OutParmProbs = 0;
  OutEchos = 0;
  OutEchoReps = 0;
  OutNeighborSolicits = 0;
  OutNeighborAdvertisements = 0;
  /** Errors not sent because of `icmp_ratelimit` (Linux: OutRateLimitHost). */
  OutRateLimitHost = 0;
}

/** UDP group (`Udp:` / `Udp6*`). */
export class UdpMib {
  InDatagrams = 0;
  NoPorts = 0;
  InErrors = 0;
  OutDatagrams = 0;
  RcvbufErrors = 0;
  SndbufErrors = 0;
  InCsumErrors = 0;
}

/** Link-level (ARP / Ethernet) counters of wirestack's own. */
export class LinkMib {
  InFrames = 0;
  InArp = 0;
  OutArp = 0;
  /** Frames addressed to another MAC (not ours, not broadcast/joined multicast). */
  InOtherHost = 0;
  /** Frames the link refused on transmit. */
  OutLinkRefused = 0;
  /** Packets dropped because the next hop could not be resolved. */
  OutNeighborFailed = 0;
}

export class StackCounters {
  readonly drops = new DropCounters();
  readonly ip = new IpMib();
  readonly ip6 = new IpMib();
  readonly icmp = new IcmpMib();
  readonly icmp6 = new IcmpMib();
  readonly udp = new UdpMib();
  readonly udp6 = new UdpMib();
  readonly link = new LinkMib();
}
