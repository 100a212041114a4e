/**
 * Why a frame was not accepted. Parsers return one of these instead of throwing; the stack counts
 * them per reason. `Ok` (0) means "accepted", so `if (reason)` reads as "if dropped".
 */
export enum DropReason {
  Ok = 0,
  // Generic framing
  Truncated,
  BadLength,
  BadVersion,
  BadHeaderLength,
  BadChecksum,
  BadAddress,
  Unsupported,
  // Ethernet / ARP
  EthernetTooShort,
  VlanTruncated,
  ArpBadHardware,
  ArpBadProtocol,
  ArpBadOperation,
  // IPv4
  Ipv4BadTotalLength,
  Ipv4BadOptions,
  Ipv4BadFragment,
  // IPv6
  Ipv6BadPayloadLength,
  Ipv6BadExtensionHeader,
  Ipv6TooManyExtensionHeaders,
  Ipv6BadFragment,
  // ICMP / ICMPv6 / NDP
  IcmpTruncated,
  IcmpUnknownType,
  IcmpBadCode,
  NdpBadOption,
  NdpBadHopLimit,
  // UDP
  UdpBadLength,
  // TCP
  TcpBadDataOffset,
  TcpBadOption,
  TcpBadOptionLength,
  TcpTooManySackBlocks,
  // pcap
  PcapBadMagic,
  PcapBadBlock,
  // Added later; appended so earlier numbers stay stable.
  NdpTooManyOptions,
  ReasmDuplicate,
  ReasmOverlap,
  ReasmInconsistent,
  ReasmOversize,
  ReasmNoMemory,
  ReasmTooManyDatagrams,
  NeighborQueueFull,
  /** Addressed to another host (MAC, or an IP address that is not ours; no forwarding). */
  NotForUs,
  /** An IP protocol (or next header) no transport handles. */
  UnknownProtocol,
}

/** Stable, human-readable name of a drop reason (for counters and messages). */
export function dropReasonName(r: DropReason): string {
  return DropReason[r] ?? `DropReason(${r})`;
}
