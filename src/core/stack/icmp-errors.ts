/**
 * What an ICMP error means for the socket that sent the quoted packet: the `IcmpErrorKind` and the
 * errno Linux reports (net/ipv4/icmp.c `icmp_err_convert`, net/ipv6/icmp.c `icmpv6_err_convert`).
 */
import { ERRNO } from '../socket/linux.js';
import { Icmpv4Type, Icmpv4Unreachable } from '../wire/icmpv4.js';
import { Icmpv6ParamProblem, Icmpv6Type, Icmpv6Unreachable } from '../wire/icmpv6.js';
import { IcmpErrorKind } from './transport.js';

export interface ErrorMeaning {
  kind: IcmpErrorKind;
  errno: number;
}

/** Fills `out` for an ICMPv4 error; false when the type is not one a socket hears about. */
export function icmp4Meaning(type: number, code: number, out: ErrorMeaning): boolean {
  switch (type) {
    case Icmpv4Type.DestUnreachable:
      switch (code) {
        case Icmpv4Unreachable.NetUnreachable:
        case Icmpv4Unreachable.NetUnknown:
        case Icmpv4Unreachable.NetProhibited:
        case Icmpv4Unreachable.NetUnreachableForTos:
          out.kind = IcmpErrorKind.NetUnreachable;
          out.errno = ERRNO.ENETUNREACH;
          return true;
        case Icmpv4Unreachable.ProtocolUnreachable:
          out.kind = IcmpErrorKind.ProtocolUnreachable;
          out.errno = ERRNO.ENOPROTOOPT;
          return true;
        case Icmpv4Unreachable.PortUnreachable:
          out.kind = IcmpErrorKind.PortUnreachable;
          out.errno = ERRNO.ECONNREFUSED;
          return true;
        case Icmpv4Unreachable.FragmentationNeeded:
          out.kind = IcmpErrorKind.PacketTooBig;
          out.errno = ERRNO.EMSGSIZE;
          return true;
        case Icmpv4Unreachable.SourceRouteFailed:
          out.kind = IcmpErrorKind.HostUnreachable;
          out.errno = ERRNO.EOPNOTSUPP;
          return true;
        case Icmpv4Unreachable.HostUnknown:
          out.kind = IcmpErrorKind.HostUnreachable;
          out.errno = ERRNO.EHOSTDOWN;
          return true;
        case Icmpv4Unreachable.SourceHostIsolated:
          out.kind = IcmpErrorKind.HostUnreachable;
          out.errno = ERRNO.ENONET;
          return true;
        case Icmpv4Unreachable.HostProhibited:
        case Icmpv4Unreachable.CommunicationProhibited:
          out.kind = IcmpErrorKind.Prohibited;
          out.errno = ERRNO.EHOSTUNREACH;
          return true;
        default:
          out.kind = IcmpErrorKind.HostUnreachable;
          out.errno = ERRNO.EHOSTUNREACH;
          return true;
      }
    case Icmpv4Type.TimeExceeded:
      out.kind = IcmpErrorKind.TimeExceeded;
      out.errno = ERRNO.EHOSTUNREACH;
      return true;
    case Icmpv4Type.ParamProblem:
      out.kind = IcmpErrorKind.ParamProblem;
      out.errno = ERRNO.EPROTO;
      return true;
    case Icmpv4Type.SourceQuench:
      out.kind = IcmpErrorKind.SourceQuench;
      out.errno = 0;
      return true;
    default:
      return false;
  }
}

/** Fills `out` for an ICMPv6 error; false when the type is not an error. */
export function icmp6Meaning(type: number, code: number, out: ErrorMeaning): boolean {
  switch (type) {
    case Icmpv6Type.DestUnreachable:
      switch (code) {
        case Icmpv6Unreachable.NoRoute:
        case Icmpv6Unreachable.BeyondScope:
          out.kind = IcmpErrorKind.NetUnreachable;
          out.errno = ERRNO.ENETUNREACH;
          return true;
        case Icmpv6Unreachable.PortUnreachable:
          out.kind = IcmpErrorKind.PortUnreachable;
          out.errno = ERRNO.ECONNREFUSED;
          return true;
        case Icmpv6Unreachable.AdminProhibited:
        case Icmpv6Unreachable.SourcePolicyFailed:
        case Icmpv6Unreachable.RejectRoute:
          out.kind = IcmpErrorKind.Prohibited;
          out.errno = ERRNO.EACCES;
          return true;
        default:
          out.kind = IcmpErrorKind.HostUnreachable;
          out.errno = ERRNO.EHOSTUNREACH;
          return true;
      }
    case Icmpv6Type.PacketTooBig:
      out.kind = IcmpErrorKind.PacketTooBig;
      out.errno = ERRNO.EMSGSIZE;
      return true;
    case Icmpv6Type.TimeExceeded:
      out.kind = IcmpErrorKind.TimeExceeded;
      out.errno = ERRNO.EHOSTUNREACH;
      return true;
    case Icmpv6Type.ParamProblem:
      out.kind =
        code === Icmpv6ParamProblem.UnrecognizedNextHeader
          ? IcmpErrorKind.ProtocolUnreachable
          : IcmpErrorKind.ParamProblem;
      out.errno = ERRNO.EPROTO;
      return true;
    default:
      return false;
  }
}
