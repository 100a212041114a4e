import assert from 'node:assert/strict';
import { test } from 'node:test';
import { variantConfig, variantsFor } from '../../src/drill/variants.js';

test('google runner variants follow the file name', () => {
  assert.deepEqual(variantsFor('a/foo.pkt', ''), ['ipv4', 'ipv4-mapped-ipv6', 'ipv6']);
  assert.deepEqual(variantsFor('a/foo-v4.pkt', ''), ['ipv4', 'ipv4-mapped-ipv6']);
  assert.deepEqual(variantsFor('a/foo-v6.pkt', ''), ['ipv6']);
});

test('kernel runner variants follow an --ip_version pin and never run mapped', () => {
  assert.deepEqual(variantsFor('x.pkt', '0 socket(...)', 'kernel'), ['ipv4', 'ipv6']);
  assert.deepEqual(variantsFor('x.pkt', '--ip_version=ipv6\n', 'kernel'), ['ipv6']);
  const bad = variantsFor('x.pkt', '--ip_version=ipv4-mapped-ipv6\n', 'kernel');
  assert.equal(typeof bad, 'string');
});

test('variant addresses and defines are the upstream runners’', () => {
  const v4 = variantConfig('ipv4');
  assert.equal(v4.localIp, '192.168.0.1');
  assert.equal(v4.remoteIp, '192.0.2.1');
  assert.equal(v4.defines.TFO_COOKIE, '3021b9d889017eeb');
  assert.equal(v4.defines.CODE, 'host_unreachable');
  assert.equal(variantConfig('ipv4', 'kernel').defines.CODE, undefined);
  assert.equal(variantConfig('ipv4-mapped-ipv6').defines.CMSG_LEVEL_IP, 'SOL_IPV6');
  const v6 = variantConfig('ipv6');
  assert.equal(v6.mtu, 1520);
  assert.equal(v6.defines.CMSG_TYPE_RECVERR, 'IPV6_RECVERR');
});
