/**
 * ICMP and ICMPv6 type and code names of packetdrill's `icmp TYPE [CODE]` (LANGUAGE.md §6.4),
 * plus `type_N` / `code_N` raw numbers. The family is the wire family: a v4-only name used over
 * IPv6 (or the reverse) is unknown.
 */

const V4_TYPES: Readonly<Record<string, number>> = {
  echo_reply: 0,
  unreachable: 3,
  source_quench: 4,
  redirect: 5,
  echo_request: 8,
  time_exceeded: 11,
  parameter_problem: 12,
  timestamp_request: 13,
  timestamp_reply: 14,
  information_request: 15,
  information_reply: 16,
  address_mask_request: 17,
  address_mask_reply: 18,
};

const V4_UNREACHABLE: Readonly<Record<string, number>> = {
  net_unreachable: 0,
  host_unreachable: 1,
  protocol_unreachable: 2,
  port_unreachable: 3,
  frag_needed: 4,
  source_route_failed: 5,
  net_unknown: 6,
  host_unknown: 7,
  source_host_isolated: 8,
  net_prohibited: 9,
  host_prohibited: 10,
  net_unreachable_for_tos: 11,
  host_unreachable_for_tos: 12,
  packet_filtered: 13,
  precedence_violation: 14,
  precedence_cutoff: 15,
};

const V6_TYPES: Readonly<Record<string, number>> = {
  unreachable: 1,
  packet_too_big: 2,
  time_exceeded: 3,
  parameter_problem: 4,
  echo_request: 128,
  echo_reply: 129,
};

const V6_CODES: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  1: {
    net_unreachable: 0,
    no_route: 0,
    admin_prohibited: 1,
    not_neighbour: 2,
    address_unreachable: 3,
    port_unreachable: 4,
  },
  3: { exceeded_hop_limit: 0, exceeded_frag_time: 1 },
  4: { header_field: 0, unknown_next_header: 1, unknown_option: 2 },
};

function raw(prefix: string, word: string): number | undefined {
  if (!word.startsWith(prefix)) return undefined;
  const n = Number(word.slice(prefix.length));
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

function own(table: Readonly<Record<string, number>> | undefined, word: string): number | undefined {
  return table !== undefined && Object.hasOwn(table, word) ? table[word] : undefined;
}

export function icmpType(family: 4 | 6, word: string): number | undefined {
  return raw('type_', word) ?? own(family === 4 ? V4_TYPES : V6_TYPES, word);
}

export function icmpCode(family: 4 | 6, type: number, word: string): number | undefined {
  const r = raw('code_', word);
  if (r !== undefined) return r;
  if (family === 4) return type === 3 ? own(V4_UNREACHABLE, word) : undefined;
  return own(V6_CODES[type], word);
}
