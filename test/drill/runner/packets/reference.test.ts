import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatIpv4, formatIpv6 } from '../../../../src/core/wire/address.js';
import { get32 } from '../../../../src/core/wire/bytes.js';
import { verifyIpv4Checksum } from '../../../../src/core/wire/ipv4.js';
import { checksumAddresses4, checksumAddresses6 } from '../../../../src/core/wire/pseudo.js';
import { fillTcpChecksum, TcpRepr, TcpView, verifyTcpChecksum } from '../../../../src/core/wire/tcp.js';
import type { PacketEvent } from '../../../../src/drill/parser/ast.js';
import { parseScript } from '../../../../src/drill/parser/index.js';
import {
  buildInbound,
  buildScriptFrame,
  ConnState,
  type LiveFrame,
  OutboundMatcher,
  packetConfig,
  resolveTime,
} from '../../../../src/drill/runner/packets/index.js';
import { type IpVersion, variantConfig } from '../../../../src/drill/variants.js';
import { sharedPath } from '../../../paths.js';

const DIR = sharedPath('packetdrill', 'reference');
const VERSIONS: IpVersion[] = ['ipv4', 'ipv4-mapped-ipv6', 'ipv6'];
const FAKE_L_LIVE = 0xfedc0000;
const REMOTE_PORT = 40000;

/** The frame a perfect SUT would send for an outbound line: the script frame mapped to live space. */
function perfectLive(e: PacketEvent, c: ConnState): Uint8Array {
  const r = buildScriptFrame(e.packet, c);
  if (!r.ok) throw new Error(r.error);
  const f = r.frame;
  const hl = c.family === 4 ? 20 : 40;
  const v = new TcpView();
  assert.equal(v.check(f, hl, f.length - hl), 0);
  const t = new TcpRepr();
  t.parse(v);
  const syn = (t.flags & 2) !== 0;
  t.seq = syn ? (t.seq - c.localIsnScript + FAKE_L_LIVE) >>> 0 : (t.seq + FAKE_L_LIVE) >>> 0;
  if (!syn && t.flags & 0x10) t.ack = (t.ack + c.remoteIsn) >>> 0;
  t.emit(f, hl);
  const addrs = c.family === 4 ? checksumAddresses4(c.local4, c.remote4) : checksumAddresses6(f, 0);
  fillTcpChecksum(f, hl, f.length - hl, addrs);
  return f;
}

test('inbound TCP lines of the reference scripts build valid frames and outbound lines match a perfect SUT', (t) => {
  if (!existsSync(DIR)) {
    t.skip(`${DIR} is missing`);
    console.log(`skipped: ${DIR} is missing`);
    return;
  }
  const files = readdirSync(DIR).filter((f) => f.endsWith('.pkt'));
  assert.ok(files.length > 0);
  let inbound = 0;
  let outbound = 0;
  for (const file of files) {
    const text = readFileSync(join(DIR, file), 'utf8');
    for (const version of VERSIONS) {
      const variant = variantConfig(version);
      const parsed = parseScript(text, { file, defines: variant.defines });
      assert.ok(parsed.ok, `${file}: ${parsed.ok ? '' : parsed.error.message}`);
      const c = ConnState.forVariant(variant, 8080, REMOTE_PORT);
      const cfg = packetConfig({ file });
      const matcher = new OutboundMatcher(c, cfg);
      let prevUs = 0;
      for (const e of parsed.script.events) {
        const time = resolveTime(e.time, prevUs);
        const nowUs = time.kind === 'exact' ? time.us : time.kind === 'range' ? time.startUs : prevUs;
        if (e.type === 'packet' && e.packet.l4.proto === 'tcp') {
          const seg = e.packet.l4;
          const where = `${file}:${e.line} (${version})`;
          if (e.packet.direction === 'inbound') {
            if (seg.flags.syn) c.remoteIsn = seg.seq.start >>> 0;
            const r = buildInbound(e.packet, c, cfg);
            assert.ok(r.ok, `${where}: ${r.ok ? '' : r.error}`);
            const f = r.frame;
            if (c.family === 4) {
              assert.equal(f[0], 0x45, where);
              assert.ok(verifyIpv4Checksum(f, 0, 20), where);
              assert.equal(formatIpv4(get32(f, 12)), variant.remoteIp, where);
              assert.equal(formatIpv4(get32(f, 16)), variant.localIp, where);
              assert.ok(verifyTcpChecksum(f, 20, f.length - 20, checksumAddresses4(get32(f, 12), get32(f, 16))), where);
            } else {
              assert.equal(f[0]! >>> 4, 6, where);
              assert.equal(formatIpv6(f, 8), variant.remoteIp, where);
              assert.equal(formatIpv6(f, 24), variant.localIp, where);
              assert.ok(verifyTcpChecksum(f, 40, f.length - 40, checksumAddresses6(f, 0)), where);
            }
            const hl = c.family === 4 ? 20 : 40;
            const v = new TcpView();
            assert.equal(v.check(f, hl, f.length - hl), 0, where);
            const tr = new TcpRepr();
            tr.parse(v);
            assert.equal(tr.srcPort, REMOTE_PORT, where);
            assert.equal(tr.dstPort, 8080, where);
            assert.equal(tr.seq, seg.flags.syn ? seg.seq.start : (seg.seq.start + c.remoteIsn) >>> 0, where);
            if (seg.flags.ack && !seg.flags.syn) assert.equal(tr.ack, ((seg.ack ?? 0) + FAKE_L_LIVE) >>> 0, where);
            assert.equal(tr.payloadLen, seg.seq.len, where);
            inbound++;
          } else {
            if (seg.flags.syn && !c.localIsnKnown) c.localIsnScript = seg.seq.start >>> 0;
            const frames: LiveFrame[] = [{ frame: perfectLive(e, c), timeUs: nowUs }];
            const r = matcher.match({ event: e, time, lastUs: prevUs }, frames);
            assert.ok(r.ok, `${where}: ${!r.ok && !r.needMore ? r.error : 'needs more'}`);
            assert.equal(r.consumed, 1);
            outbound++;
          }
        }
        if (time.kind !== 'any') prevUs = nowUs;
      }
    }
  }
  console.log(`reference scripts: ${files.length} files, ${inbound} inbound and ${outbound} outbound TCP lines checked over 3 variants`);
  assert.ok(inbound > 0 && outbound > 0);
});
