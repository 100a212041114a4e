import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { Sysctls } from '../../../src/core/stack/sysctl.js';

describe('sysctl', () => {
  test('linux profile defaults', () => {
    const s = new Sysctls();
    assert.equal(s.int('net.ipv4.tcp_sack'), 1);
    assert.equal(s.int('net.ipv4.tcp_rto_min_us'), 200000);
    assert.equal(s.int('net.ipv4.tcp_rto_max_ms'), 120000);
    assert.equal(s.int('net.ipv4.tcp_invalid_ratelimit'), 500);
    assert.equal(s.int('net.ipv4.tcp_shrink_window'), 0);
    assert.deepEqual(s.ints('net.ipv4.tcp_rmem'), [4096, 131072, 33554432]);
    assert.deepEqual(s.ints('net.ipv4.ip_local_port_range'), [32768, 60999]);
    assert.equal(s.str('net.ipv4.tcp_congestion_control'), 'cubic');
    assert.equal(s.format('net.ipv4.tcp_wmem'), '4096\t16384\t4194304');
  });

  test('set accepts the three name forms and validates', () => {
    const s = new Sysctls();
    assert.equal(s.set('net.ipv4.tcp_sack', '0'), 0);
    assert.equal(s.int('net.ipv4.tcp_sack'), 0);
    assert.equal(s.set('/proc/sys/net/ipv4/tcp_sack', '1'), 0);
    assert.equal(s.set('net/ipv4/tcp_timestamps', '0'), 0);
    assert.equal(s.int('net.ipv4.tcp_timestamps'), 0);
    assert.equal(s.set('net.ipv4.tcp_sack', '2'), ERRNO.EINVAL);
    assert.equal(s.set('net.ipv4.tcp_sack', 'yes'), ERRNO.EINVAL);
    assert.equal(s.int('net.ipv4.tcp_sack'), 1);
    assert.equal(s.set('net.ipv4.no_such_knob', '1'), ERRNO.ENOENT);
    assert.equal(s.set('net.ipv4.tcp_rmem', '4096 540000 15728640'), 0);
    assert.deepEqual(s.ints('net.ipv4.tcp_rmem'), [4096, 540000, 15728640]);
    assert.equal(s.set('net.ipv4.tcp_rmem', '8192'), 0);
    assert.deepEqual(s.ints('net.ipv4.tcp_rmem'), [8192, 540000, 15728640]);
    assert.equal(s.set('net.ipv4.tcp_rmem', '1 2 3 4'), ERRNO.EINVAL);
    assert.equal(s.set('net.ipv4.tcp_congestion_control', 'vegas'), ERRNO.ENOENT);
    assert.equal(s.set('net.ipv4.tcp_congestion_control', 'reno'), 0);
    assert.equal(s.set('net.ipv4.tcp_fastopen', '0x70403'), 0);
    assert.equal(s.int('net.ipv4.tcp_fastopen'), 0x70403);
  });

  test('snapshot and restore', () => {
    const s = new Sysctls();
    const snap = s.snapshot();
    s.set('net.ipv4.tcp_sack', '0');
    s.restore(snap);
    assert.equal(s.int('net.ipv4.tcp_sack'), 1);
  });

  test('stacks are independent, like network namespaces', () => {
    const a = new Sysctls();
    const b = new Sysctls();
    a.set('net.ipv4.tcp_sack', '0');
    assert.equal(b.int('net.ipv4.tcp_sack'), 1);
  });
});
