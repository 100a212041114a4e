import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRNO, errnoText, LINUX } from '../../../src/core/socket/linux.js';

test('errno numbers and messages are Linux’s', () => {
  assert.equal(ERRNO.EAGAIN, 11);
  assert.equal(ERRNO.EWOULDBLOCK, 11);
  assert.equal(ERRNO.ECONNRESET, 104);
  assert.equal(ERRNO.EINPROGRESS, 115);
  assert.equal(errnoText(ERRNO.EPIPE), 'EPIPE (Broken pipe)');
  assert.equal(errnoText(ERRNO.ETIMEDOUT), 'ETIMEDOUT (Connection timed out)');
  assert.equal(errnoText(99999), 'errno 99999');
});

test('socket constants are Linux’s', () => {
  assert.equal(LINUX.SOL_SOCKET, 1);
  assert.equal(LINUX.SOL_TCP, LINUX.IPPROTO_TCP);
  assert.equal(LINUX.SO_LINGER, 13);
  assert.equal(LINUX.TCP_INFO, 11);
  assert.equal(LINUX.TCP_REPAIR_WINDOW, 29);
  assert.equal(LINUX.SIOCINQ, LINUX.FIONREAD);
  assert.equal(LINUX.POLLRDHUP, 0x2000);
  assert.equal(LINUX.EPOLLET, 0x80000000);
  assert.equal(LINUX.AF_INET6, 10);
  assert.equal(LINUX.TCP_CLOSE_WAIT, 8);
});
