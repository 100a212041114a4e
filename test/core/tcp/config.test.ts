import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import { tcpConfig, wscaleFor } from '../../../src/core/tcp/config.js';

describe('TcpConfig (linux profile)', () => {
  test('defaults from a fresh namespace', () => {
    const c = tcpConfig(new Sysctls());
    assert.equal(c.advMss, 1460);
    assert.equal(c.rcvBuf, 131072, 'tcp_rmem[1]');
    assert.equal(c.sndBuf, 16384, 'tcp_wmem[1]');
    assert.equal(c.rcvWscale, 10, 'from tcp_rmem[2] = 32 MiB');
    assert.equal(c.initCwnd, 10);
    assert.equal(c.rtoInitUs, 1_000_000);
    assert.equal(c.rtoMinUs, 200_000);
    assert.equal(c.rtoMaxUs, 120_000_000);
    assert.equal(c.delAckMinUs, 40_000);
    assert.equal(c.timeWaitUs, 60_000_000);
    assert.equal(c.finTimeoutUs, 60_000_000);
    assert.equal(c.synRetries, 6);
    assert.equal(c.synackRetries, 5);
    assert.equal(c.invalidRatelimitUs, 500_000);
    assert.equal(c.timestamps && c.sack && !c.nodelay, true);
  });

  test('window scale: the shift that fits the space in 16 bits (packetdrill defaults: 15 MiB -> 8)', () => {
    assert.equal(wscaleFor(65535), 0);
    assert.equal(wscaleFor(65536), 1);
    assert.equal(wscaleFor(15728640), 8);
    assert.equal(wscaleFor(6291456), 7);
    assert.equal(wscaleFor(2 ** 40), 14);
    const s = new Sysctls(undefined, { 'net.ipv4.tcp_rmem': [4096, 540000, 15728640] });
    assert.equal(tcpConfig(s).rcvWscale, 8);
    assert.equal(tcpConfig(new Sysctls(undefined, { 'net.ipv4.tcp_window_scaling': 0 })).rcvWscale, -1);
  });

  test('socket options: SO_RCVBUF/SO_SNDBUF doubled, the scale follows a locked buffer; TCP_MAXSEG', () => {
    const c = tcpConfig(new Sysctls(), { rcvBuf: 1000, sndBuf: 3000, nodelay: true, maxSeg: 1200 });
    assert.equal(c.rcvBuf, 2000);
    assert.equal(c.sndBuf, 6000);
    assert.equal(c.rcvWscale, 0);
    assert.equal(c.nodelay, true);
    assert.equal(c.advMss, 1200);
    assert.equal(tcpConfig(new Sysctls(), { maxSeg: 9000 }).advMss, 1460, 'never above the path MSS');
  });

  test('sysctls flow through', () => {
    const s = new Sysctls(undefined, {
      'net.ipv4.tcp_syn_retries': 2,
      'net.ipv4.tcp_rto_min_us': 5000,
      'net.ipv4.tcp_timestamps': 0,
    });
    const c = tcpConfig(s);
    assert.equal(c.synRetries, 2);
    assert.equal(c.rtoMinUs, 5000);
    assert.equal(c.timestamps, false);
  });
});
