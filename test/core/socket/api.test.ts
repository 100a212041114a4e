/**
 * SocketApi over two stacks (10.0.0.1 / 2001:db8::a and 10.0.0.2 / 2001:db8::b) on a memory cable
 * driven by the SimDriver. Everything goes through the socket calls only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { mapV4, type SockAddr, sockaddr4, sockaddr6 } from '../../../src/core/socket/addr.js';
import { type CallResult, isPending, SocketApi, type SysResult } from '../../../src/core/socket/api.js';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import type { TcpInfo } from '../../../src/core/socket/tcp-info.js';
import { TcpLayer } from '../../../src/core/tcp/layer.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { A4, A6, B4, B6, pair } from '../stack/stack-helpers.js';

const L = LINUX;
const E = ERRNO;

function world(opts: { bsdLinger?: boolean } = {}) {
  const p = pair('ethernet');
  const ta = new TcpLayer(p.a, p.a.sysctls, { rng: new Xoshiro128(11) });
  const tb = new TcpLayer(p.b, p.b.sysctls, { rng: new Xoshiro128(12) });
  p.a.registerTransport(ta);
  p.b.registerTransport(tb);
  const clock = () => p.sim.now();
  const A = new SocketApi(p.a, ta, { clock, ...opts });
  const B = new SocketApi(p.b, tb, { clock, ...opts });
  const run = (us = 50_000): void => {
    p.sim.runFor(us);
  };
  return { ...p, A, B, ta, tb, run };
}
type World = ReturnType<typeof world>;

function done(r: CallResult): SysResult {
  assert.ok(!isPending(r), 'expected a completed call');
  return r;
}
function okv(r: CallResult): number {
  const d = done(r);
  assert.equal(d.errno, undefined, `unexpected errno ${d.errno}`);
  assert.ok(d.ret >= 0);
  return d.ret;
}
function errno(r: CallResult, e: number): void {
  const d = done(r);
  assert.equal(d.ret, -1);
  assert.equal(d.errno, e);
}
/** Retry a pending call while the simulation runs, until it completes. */
function finish(w: World, r: CallResult, stepUs = 10_000, maxUs = 5_000_000): SysResult {
  let t = 0;
  while (isPending(r)) {
    assert.ok(t < maxUs, 'call never completed');
    w.run(stepUs);
    t += stepUs;
    r = r.pending.retry(w.sim.now());
  }
  return r;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array, n: number): string => new TextDecoder().decode(b.subarray(0, n));

interface Conn {
  cfd: number;
  sfd: number;
  lfd: number;
}

/** B listens on `listenAddr`; A connects (blocking) to `to`; B accepts. */
function connectPair(w: World, family: number, listenAddr: SockAddr, to: SockAddr, clientFamily = family): Conn {
  const lfd = okv(w.B.socket(family, L.SOCK_STREAM, 0));
  okv(w.B.bind(lfd, listenAddr));
  okv(w.B.listen(lfd, 16));
  const cfd = okv(w.A.socket(clientFamily, L.SOCK_STREAM, 0));
  const c = w.A.connect(cfd, to);
  assert.ok(isPending(c));
  assert.equal(finish(w, c).ret, 0);
  const sfd = okv(finish(w, w.B.accept(lfd)));
  return { cfd, sfd, lfd };
}

function echo(w: World, c: Conn): void {
  assert.equal(okv(w.A.write(c.cfd, text('hello'))), 5);
  const buf = new Uint8Array(64);
  const n = okv(finish(w, w.B.read(c.sfd, buf)));
  assert.equal(str(buf, n), 'hello');
  assert.equal(okv(w.B.write(c.sfd, buf, n)), 5);
  const m = okv(finish(w, w.A.read(c.cfd, buf)));
  assert.equal(str(buf, m), 'hello');
}

describe('SocketApi: TCP echo', () => {
  test('IPv4', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(0, 7000), sockaddr4(B4, 7000));
    assert.equal(c.cfd, 3);
    assert.equal(c.lfd, 3);
    assert.equal(c.sfd, 4);
    echo(w, c);
    const peer = done(w.B.getpeername(c.sfd)).addr!;
    assert.equal(peer.family, L.AF_INET);
    assert.equal(peer.addr, A4);
    const local = done(w.A.getsockname(c.cfd)).addr!;
    assert.equal(local.addr, A4);
    assert.ok(local.port >= 32768);
    assert.equal(peer.port, local.port);
  });

  test('IPv6', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET6, sockaddr6(B6, 7001), sockaddr6(B6, 7001));
    echo(w, c);
    assert.deepEqual(done(w.B.getpeername(c.sfd)).addr!.addr, A6);
  });

  test('dual-stack: an AF_INET6 listener on :: takes IPv4 clients, peers appear mapped', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET6, sockaddr6(new Uint8Array(16), 7002), sockaddr4(B4, 7002), L.AF_INET);
    echo(w, c);
    const peer = done(w.B.getpeername(c.sfd)).addr!;
    assert.equal(peer.family, L.AF_INET6);
    assert.deepEqual(peer.addr, mapV4(A4));
    // An AF_INET6 client reaching an IPv4 server through a mapped address.
    const fd = okv(w.A.socket(L.AF_INET6, L.SOCK_STREAM, 0));
    assert.equal(finish(w, w.A.connect(fd, sockaddr6(mapV4(B4), 7002))).ret, 0);
    const s2 = okv(finish(w, w.B.accept(c.lfd)));
    echo(w, { cfd: fd, sfd: s2, lfd: c.lfd });
    assert.deepEqual(done(w.A.getsockname(fd)).addr!.addr, mapV4(A4));
  });

  test('IPV6_V6ONLY listener refuses IPv4; mapped connect on a v6only socket is ENETUNREACH', () => {
    const w = world();
    const lfd = okv(w.B.socket(L.AF_INET6, L.SOCK_STREAM, 0));
    okv(w.B.setsockopt(lfd, L.SOL_IPV6, L.IPV6_V6ONLY, 1));
    assert.equal(done(w.B.getsockopt(lfd, L.SOL_IPV6, L.IPV6_V6ONLY)).value, 1);
    okv(w.B.bind(lfd, sockaddr6(new Uint8Array(16), 7003)));
    okv(w.B.listen(lfd, 4));
    errno(w.B.setsockopt(lfd, L.SOL_IPV6, L.IPV6_V6ONLY, 0), E.EINVAL);
    const cfd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    errno(finish(w, w.A.connect(cfd, sockaddr4(B4, 7003))), E.ECONNREFUSED);
    const v6 = okv(w.A.socket(L.AF_INET6, L.SOCK_STREAM, 0));
    okv(w.A.setsockopt(v6, L.SOL_IPV6, L.IPV6_V6ONLY, 1));
    errno(w.A.connect(v6, sockaddr6(mapV4(B4), 7003)), E.ENETUNREACH);
  });
});

describe('SocketApi: non-blocking', () => {
  test('connect: EINPROGRESS, EALREADY, POLLOUT, then 0, then EISCONN', () => {
    const w = world();
    const lfd = okv(w.B.socket(L.AF_INET, L.SOCK_STREAM | L.SOCK_NONBLOCK, 0));
    okv(w.B.bind(lfd, sockaddr4(B4, 8000)));
    okv(w.B.listen(lfd, 4));
    errno(w.B.accept(lfd), E.EAGAIN);
    assert.equal(done(w.B.poll([{ fd: lfd, events: L.POLLIN }], 0)).ret, 0);
    const fd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM | L.SOCK_NONBLOCK, 0));
    assert.equal(okv(w.A.fcntl(fd, L.F_GETFL)), L.O_RDWR | L.O_NONBLOCK);
    errno(w.A.connect(fd, sockaddr4(B4, 8000)), E.EINPROGRESS);
    errno(w.A.connect(fd, sockaddr4(B4, 8000)), E.EALREADY);
    const p0 = done(w.A.poll([{ fd, events: L.POLLOUT }], 0));
    assert.equal(p0.ret, 0);
    errno(w.A.write(fd, text('x')), E.EAGAIN);
    const pw = w.A.poll([{ fd, events: L.POLLOUT }], 1000);
    const p1 = finish(w, pw, 1000);
    assert.equal(p1.ret, 1);
    assert.equal(p1.revents![0], L.POLLOUT);
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_ERROR)).value, 0);
    assert.equal(okv(w.A.connect(fd, sockaddr4(B4, 8000))), 0);
    errno(w.A.connect(fd, sockaddr4(B4, 8000)), E.EISCONN);
    const pl = done(w.B.poll([{ fd: lfd, events: L.POLLIN }], 0));
    assert.equal(pl.revents![0], L.POLLIN); // masked by the requested events, as Linux
    const s = okv(w.B.accept4(lfd, L.SOCK_NONBLOCK));
    assert.equal(okv(w.B.fcntl(s, L.F_GETFL)), L.O_RDWR | L.O_NONBLOCK);
    errno(w.B.read(s, new Uint8Array(4)), E.EAGAIN);
    okv(w.B.fcntl(s, L.F_SETFL, L.O_RDWR));
    assert.equal(okv(w.B.fcntl(s, L.F_GETFL)), L.O_RDWR);
    assert.ok(isPending(w.B.read(s, new Uint8Array(4))));
    errno(w.B.recv(s, new Uint8Array(4), 4, L.MSG_DONTWAIT), E.EAGAIN);
  });

  test('poll timeout completes with 0 at the deadline', () => {
    const w = world();
    const fd = okv(w.A.socket(L.AF_INET, L.SOCK_DGRAM, 0));
    okv(w.A.bind(fd, sockaddr4(0, 9999)));
    const r = w.A.poll([{ fd, events: L.POLLIN }], 100);
    assert.ok(isPending(r));
    assert.equal(r.pending.deadline, w.sim.now() + 100_000);
    w.run(100_000);
    assert.deepEqual(done(r.pending.retry(w.sim.now())), { ret: 0, revents: [0] });
  });
});

describe('SocketApi: close, RST and errors', () => {
  test('read after the peer closes returns 0; poll shows IN|RDHUP', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7100), sockaddr4(B4, 7100));
    okv(w.B.write(c.sfd, text('bye')));
    okv(w.B.close(c.sfd));
    w.run();
    const pr = done(w.A.poll([{ fd: c.cfd, events: L.POLLIN | L.POLLOUT | L.POLLRDHUP }], 0));
    assert.equal(pr.revents![0], L.POLLIN | L.POLLRDHUP | L.POLLOUT);
    const buf = new Uint8Array(10);
    assert.equal(okv(w.A.read(c.cfd, buf)), 3);
    assert.equal(okv(w.A.read(c.cfd, buf)), 0);
    assert.equal(okv(w.A.read(c.cfd, buf)), 0);
    okv(w.A.close(c.cfd));
    w.run(1_000_000);
  });

  test('linger {1,0} sends RST: ECONNRESET after the data, then 0; EPIPE; POLL bits', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7101), sockaddr4(B4, 7101));
    okv(w.B.write(c.sfd, text('abc')));
    w.run();
    okv(w.B.setsockopt(c.sfd, L.SOL_SOCKET, L.SO_LINGER, { onoff: 1, linger: 0 }));
    assert.deepEqual(done(w.B.getsockopt(c.sfd, L.SOL_SOCKET, L.SO_LINGER)).value, { onoff: 1, linger: 0 });
    const rsts = w.tb.counters.OutRsts;
    assert.equal(okv(w.B.close(c.sfd)), 0);
    assert.equal(w.tb.counters.OutRsts, rsts + 1);
    w.run();
    const pr = done(w.A.poll([{ fd: c.cfd, events: L.POLLIN | L.POLLOUT | L.POLLRDHUP }], 0));
    assert.equal(pr.revents![0]! & (L.POLLIN | L.POLLOUT | L.POLLERR | L.POLLHUP | L.POLLRDHUP), 0x201d);
    const ti = done(w.A.getsockopt(c.cfd, L.SOL_TCP, L.TCP_INFO)).value as TcpInfo;
    assert.equal(ti.tcpi_state, TcpState.CLOSED);
    const buf = new Uint8Array(10);
    assert.equal(okv(w.A.read(c.cfd, buf)), 3);
    errno(w.A.read(c.cfd, buf), E.ECONNRESET);
    assert.equal(okv(w.A.read(c.cfd, buf)), 0);
    assert.equal(done(w.A.getsockopt(c.cfd, L.SOL_SOCKET, L.SO_ERROR)).value, 0);
    errno(w.A.write(c.cfd, text('x')), E.EPIPE);
    errno(w.A.getpeername(c.cfd), E.ENOTCONN);
  });

  test('SO_ERROR read before the data reports ECONNRESET once; data still readable', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET6, sockaddr6(B6, 7102), sockaddr6(B6, 7102));
    okv(w.B.write(c.sfd, text('abcd')));
    w.run();
    okv(w.B.setsockopt(c.sfd, L.SOL_SOCKET, L.SO_LINGER, { onoff: 1, linger: 0 }));
    okv(w.B.close(c.sfd));
    w.run();
    assert.equal(done(w.A.getsockopt(c.cfd, L.SOL_SOCKET, L.SO_ERROR)).value, E.ECONNRESET);
    assert.equal(done(w.A.getsockopt(c.cfd, L.SOL_SOCKET, L.SO_ERROR)).value, 0);
    assert.equal(okv(w.A.read(c.cfd, new Uint8Array(10))), 4);
    assert.equal(okv(w.A.read(c.cfd, new Uint8Array(10))), 0);
  });

  test('connect to a closed port: ECONNREFUSED (blocking and non-blocking with SO_ERROR)', () => {
    const w = world();
    const fd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    errno(finish(w, w.A.connect(fd, sockaddr4(B4, 1))), E.ECONNREFUSED);
    const nb = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM | L.SOCK_NONBLOCK, 0));
    errno(w.A.connect(nb, sockaddr4(B4, 1)), E.EINPROGRESS);
    w.run();
    const pr = done(w.A.poll([{ fd: nb, events: L.POLLOUT }], 0));
    assert.ok((pr.revents![0]! & L.POLLERR) !== 0);
    assert.equal(done(w.A.getsockopt(nb, L.SOL_SOCKET, L.SO_ERROR)).value, E.ECONNREFUSED);
  });

  test('errno cases', () => {
    const w = world();
    const A = w.A;
    errno(A.socket(99, L.SOCK_STREAM, 0), E.EAFNOSUPPORT);
    errno(A.socket(L.AF_INET, L.SOCK_STREAM, L.IPPROTO_UDP), E.EPROTONOSUPPORT);
    errno(A.socket(L.AF_INET, L.SOCK_DGRAM, L.IPPROTO_TCP), E.EPROTONOSUPPORT);
    errno(A.socket(L.AF_INET, L.SOCK_SEQPACKET, 0), E.ESOCKTNOSUPPORT);
    errno(A.socket(L.AF_INET, 11, 0), E.EINVAL);
    errno(A.socket(L.AF_INET, L.SOCK_STREAM | 0x100000, 0), E.EINVAL);
    errno(A.read(42, new Uint8Array(1)), E.EBADF);
    errno(A.close(42), E.EBADF);
    const ep = okv(A.epoll_create(1));
    assert.equal(ep, 3);
    errno(A.read(ep, new Uint8Array(1)), E.ENOTSOCK);
    const fd = okv(A.socket(L.AF_INET, L.SOCK_STREAM | L.SOCK_CLOEXEC, 0));
    assert.equal(fd, 4);
    assert.equal(okv(A.fcntl(fd, L.F_GETFD)), L.FD_CLOEXEC);
    assert.equal(okv(A.fcntl(fd, L.F_GETFL)), L.O_RDWR);
    errno(A.recv(fd, new Uint8Array(1), 1, 0), E.ENOTCONN);
    errno(A.write(fd, text('x')), E.EPIPE);
    errno(A.getpeername(fd), E.ENOTCONN);
    errno(A.shutdown(fd, 7), E.EINVAL);
    errno(A.shutdown(fd, L.SHUT_WR), E.ENOTCONN);
    errno(A.bind(fd, sockaddr6(A6, 1)), E.EAFNOSUPPORT);
    errno(A.bind(fd, sockaddr4(B4, 1)), E.EADDRNOTAVAIL);
    errno(A.getsockopt(fd, L.SOL_SOCKET, L.SO_ACCEPTCONN + 1000), E.ENOPROTOOPT);
    errno(A.setsockopt(fd, L.SOL_TCP, L.TCP_KEEPCNT, 128), E.EINVAL);
    errno(A.setsockopt(fd, L.SOL_TCP, L.TCP_KEEPIDLE, 0), E.EINVAL);
    errno(A.setsockopt(fd, L.SOL_TCP, L.TCP_USER_TIMEOUT, -1), E.EINVAL);
    errno(A.setsockopt(fd, L.SOL_TCP, L.TCP_MAXSEG, 10), E.EINVAL);
    assert.equal(done(A.getsockopt(fd, L.SOL_TCP, L.TCP_MAXSEG)).value, 536);
    assert.equal(done(A.poll([{ fd, events: 0xffff }], 0)).revents![0], L.POLLOUT | L.POLLWRNORM | L.POLLHUP);
    okv(A.bind(fd, sockaddr4(A4, 5555)));
    errno(A.bind(fd, sockaddr4(A4, 5556)), E.EINVAL);
    assert.deepEqual(done(A.getsockname(fd)).addr, sockaddr4(A4, 5555));
    const fd2 = okv(A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    errno(A.bind(fd2, sockaddr4(0, 5555)), E.EADDRINUSE);
    okv(A.listen(fd, 1));
    errno(A.connect(fd, sockaddr4(B4, 1)), E.EISCONN);
    errno(A.ioctl(fd, L.FIONREAD), E.EINVAL);
    assert.equal(done(A.getsockopt(fd, L.SOL_SOCKET, L.SO_ACCEPTCONN)).value, 1);
    const u = okv(A.socket(L.AF_INET, L.SOCK_DGRAM, 0));
    errno(A.listen(u, 1), E.EOPNOTSUPP);
    errno(A.send(u, text('x'), 1, 0), E.EDESTADDRREQ);
    errno(A.getsockopt(u, L.SOL_TCP, L.TCP_NODELAY), E.ENOPROTOOPT);
    // Lowest free fd first.
    okv(A.close(fd));
    assert.equal(okv(A.socket(L.AF_INET, L.SOCK_STREAM, 0)), 4);
  });

  test('SO_REUSEADDR lets two unconnected sockets share a port, never with a listener', () => {
    const w = world();
    const a = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    const b = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    okv(w.A.setsockopt(a, L.SOL_SOCKET, L.SO_REUSEADDR, 1));
    okv(w.A.setsockopt(b, L.SOL_SOCKET, L.SO_REUSEADDR, 1));
    assert.equal(done(w.A.getsockopt(a, L.SOL_SOCKET, L.SO_REUSEADDR)).value, 1);
    okv(w.A.bind(a, sockaddr4(0, 6000)));
    okv(w.A.bind(b, sockaddr4(0, 6000)));
    okv(w.A.listen(a, 1));
    errno(w.A.listen(b, 1), E.EADDRINUSE);
  });
});

describe('SocketApi: UDP', () => {
  test('sendto / recvfrom over IPv4 and IPv6, FIONREAD, MSG_TRUNC', () => {
    const w = world();
    for (const [fam, a, b] of [
      [L.AF_INET, sockaddr4(A4, 0), sockaddr4(B4, 5353)],
      [L.AF_INET6, sockaddr6(A6, 0), sockaddr6(B6, 5353)],
    ] as const) {
      const s = okv(w.B.socket(fam, L.SOCK_DGRAM, 0));
      okv(w.B.bind(s, b));
      const c = okv(w.A.socket(fam, L.SOCK_DGRAM | L.SOCK_NONBLOCK, 0));
      assert.equal(okv(w.A.sendto(c, text('ping!'), 5, 0, b)), 5);
      w.run();
      assert.equal(done(w.B.ioctl(s, L.FIONREAD)).value, 5);
      const pin = done(w.B.poll([{ fd: s, events: L.POLLIN | L.POLLRDNORM }], 0));
      assert.equal(pin.revents![0], L.POLLIN | L.POLLRDNORM);
      const buf = new Uint8Array(16);
      const r = done(w.B.recvfrom(s, buf, 16, 0));
      assert.equal(str(buf, r.ret), 'ping!');
      assert.equal(r.addr!.family, fam);
      assert.deepEqual(r.addr!.addr, a.addr);
      const port = done(w.A.getsockname(c)).addr!.port;
      assert.equal(r.addr!.port, port);
      okv(w.B.sendto(s, text('pong-long'), 9, 0, r.addr));
      w.run();
      const part = new Uint8Array(4);
      const m = done(w.A.recvmsg(c, { iov: [part] }, 0));
      assert.equal(m.ret, 4);
      assert.equal(m.msgFlags, L.MSG_TRUNC);
      assert.equal(str(part, 4), 'pong');
      errno(w.A.recvfrom(c, buf, 16, 0), E.EAGAIN);
    }
  });

  test('blocking recvfrom completes when a datagram arrives; SO_RCVTIMEO times it out', () => {
    const w = world();
    const s = okv(w.B.socket(L.AF_INET, L.SOCK_DGRAM, 0));
    okv(w.B.bind(s, sockaddr4(0, 5454)));
    const buf = new Uint8Array(8);
    const r = w.B.recvfrom(s, buf, 8, 0);
    assert.ok(isPending(r));
    assert.equal(r.pending.deadline, undefined);
    const c = okv(w.A.socket(L.AF_INET, L.SOCK_DGRAM, 0));
    okv(w.A.connect(c, sockaddr4(B4, 5454)));
    okv(w.A.send(c, text('hi'), 2, 0));
    assert.equal(finish(w, r).ret, 2);
    okv(w.B.setsockopt(s, L.SOL_SOCKET, L.SO_RCVTIMEO, { sec: 0, usec: 200_000 }));
    assert.deepEqual(done(w.B.getsockopt(s, L.SOL_SOCKET, L.SO_RCVTIMEO)).value, { sec: 0, usec: 200_000 });
    const t = w.B.recv(s, buf, 8, 0);
    assert.ok(isPending(t));
    errno(finish(w, t), E.EAGAIN);
  });
});

describe('SocketApi: epoll', () => {
  test('level-triggered readiness, ONESHOT, ctl errors', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7200), sockaddr4(B4, 7200));
    const ep = okv(w.B.epoll_create1(0));
    okv(w.B.epoll_ctl(ep, L.EPOLL_CTL_ADD, c.sfd, { events: L.EPOLLIN, data: 77 }));
    errno(w.B.epoll_ctl(ep, L.EPOLL_CTL_ADD, c.sfd, { events: L.EPOLLIN, data: 77 }), E.EEXIST);
    errno(w.B.epoll_ctl(ep, L.EPOLL_CTL_DEL, c.lfd), E.ENOENT);
    errno(w.B.epoll_ctl(ep, L.EPOLL_CTL_ADD, ep, { events: L.EPOLLIN, data: 0 }), E.EINVAL);
    errno(w.B.epoll_ctl(c.sfd, L.EPOLL_CTL_ADD, c.lfd, { events: L.EPOLLIN, data: 0 }), E.EINVAL);
    errno(w.B.epoll_wait(ep, 0, 0), E.EINVAL);
    assert.deepEqual(done(w.B.epoll_wait(ep, 8, 0)), { ret: 0, events: [] });
    const pending = w.B.epoll_wait(ep, 8, -1);
    assert.ok(isPending(pending));
    okv(w.A.write(c.cfd, text('data')));
    const r = finish(w, pending);
    assert.deepEqual(r.events, [{ events: L.EPOLLIN, data: 77 }]);
    assert.equal(done(w.B.epoll_wait(ep, 8, 0)).ret, 1);
    okv(w.B.epoll_ctl(ep, L.EPOLL_CTL_MOD, c.sfd, { events: L.EPOLLIN | L.EPOLLOUT | L.EPOLLONESHOT, data: 5 }));
    assert.deepEqual(done(w.B.epoll_wait(ep, 8, 0)).events, [{ events: L.EPOLLIN | L.EPOLLOUT, data: 5 }]);
    assert.equal(done(w.B.epoll_wait(ep, 8, 0)).ret, 0);
    okv(w.B.epoll_ctl(ep, L.EPOLL_CTL_DEL, c.sfd));
    okv(w.B.epoll_ctl(ep, L.EPOLL_CTL_ADD, c.sfd, { events: L.EPOLLIN | L.EPOLLET, data: 1 }));
    assert.equal(done(w.B.epoll_wait(ep, 8, 0)).ret, 1);
    assert.equal(done(w.B.epoll_wait(ep, 8, 0)).ret, 0);
    okv(w.B.close(c.sfd));
    assert.equal(done(w.B.epoll_wait(ep, 8, 0)).ret, 0);
  });
});

describe('SocketApi: options', () => {
  test('SO_RCVBUF / SO_SNDBUF double, clamp to rmem_max / wmem_max and the minimums', () => {
    const w = world();
    const fd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 131072);
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF)).value, 16384);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF, 2000));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 4000);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF, 1000));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 2304);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF, 1));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 2304);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF, 1));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF)).value, 4608);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF, 1 << 30));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 8388608);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF, 50_000));
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF, 40_000));
    // The connection is created with those sizes.
    const lfd = okv(w.B.socket(L.AF_INET, L.SOCK_STREAM, 0));
    okv(w.B.setsockopt(lfd, L.SOL_SOCKET, L.SO_RCVBUF, 30_000));
    okv(w.B.bind(lfd, sockaddr4(B4, 7300)));
    okv(w.B.listen(lfd, 2));
    assert.equal(finish(w, w.A.connect(fd, sockaddr4(B4, 7300))).ret, 0);
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF)).value, 100_000);
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 80_000);
    const s = okv(finish(w, w.B.accept(lfd)));
    assert.equal(done(w.B.getsockopt(s, L.SOL_SOCKET, L.SO_RCVBUF)).value, 60_000);
    // SO_RCVBUF on the connection resizes its receive queue (docs/window-retraction.md).
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF, 1000));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_RCVBUF)).value, 2304);
    // SO_SNDBUF on the connection resizes its send queue (Linux allows it); writes see the limit.
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF, 10_000));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF)).value, 20_000);
    okv(w.A.fcntl(fd, L.F_SETFL, L.O_NONBLOCK));
    const big = new Uint8Array(100_000);
    assert.equal(done(w.A.write(fd, big, big.length)).ret, 20_000);
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF, 2_000));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_SNDBUF)).value, 4_608);
    errno(w.A.write(fd, big, big.length), E.EAGAIN);
  });

  test('SO_TYPE / SO_DOMAIN / SO_PROTOCOL, TCP_NODELAY, TCP_MAXSEG', () => {
    const w = world();
    const fd = okv(w.A.socket(L.AF_INET6, L.SOCK_DGRAM, 0));
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_TYPE)).value, L.SOCK_DGRAM);
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_DOMAIN)).value, L.AF_INET6);
    assert.equal(done(w.A.getsockopt(fd, L.SOL_SOCKET, L.SO_PROTOCOL)).value, L.IPPROTO_UDP);
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7301), sockaddr4(B4, 7301));
    assert.equal(done(w.A.getsockopt(c.cfd, L.SOL_TCP, L.TCP_NODELAY)).value, 0);
    okv(w.A.setsockopt(c.cfd, L.SOL_TCP, L.TCP_NODELAY, 1));
    assert.equal(done(w.A.getsockopt(c.cfd, L.SOL_TCP, L.TCP_NODELAY)).value, 1);
    assert.equal(done(w.A.getsockopt(c.cfd, L.SOL_TCP, L.TCP_MAXSEG)).value, 1448);
    errno(w.A.setsockopt(c.cfd, L.SOL_TCP, L.TCP_MAXSEG, 1000), E.ENOPROTOOPT);
  });

  test('TCP_INFO state values through a connection lifetime', () => {
    const w = world();
    const info = (api: SocketApi, fd: number): TcpInfo =>
      done(api.getsockopt(fd, L.SOL_TCP, L.TCP_INFO)).value as TcpInfo;
    const lfd = okv(w.B.socket(L.AF_INET, L.SOCK_STREAM, 0));
    assert.equal(info(w.B, lfd).tcpi_state, L.TCP_CLOSE);
    okv(w.B.bind(lfd, sockaddr4(B4, 7302)));
    okv(w.B.listen(lfd, 2));
    assert.equal(info(w.B, lfd).tcpi_state, L.TCP_LISTEN);
    const fd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM | L.SOCK_NONBLOCK, 0));
    errno(w.A.connect(fd, sockaddr4(B4, 7302)), E.EINPROGRESS);
    assert.equal(info(w.A, fd).tcpi_state, L.TCP_SYN_SENT);
    w.run();
    const i = info(w.A, fd);
    assert.equal(i.tcpi_state, L.TCP_ESTABLISHED);
    assert.equal(i.tcpi_snd_mss, 1448);
    assert.ok(i.tcpi_rtt > 0);
    assert.equal(i.tcpi_pmtu, 1500);
    assert.equal(i.tcpi_options & 7, 7);
    okv(w.A.shutdown(fd, L.SHUT_WR));
    w.run();
    assert.equal(info(w.A, fd).tcpi_state, L.TCP_FIN_WAIT2);
    const s = okv(w.B.accept(lfd));
    assert.equal(info(w.B, s).tcpi_state, L.TCP_CLOSE_WAIT);
    assert.equal(okv(w.B.read(s, new Uint8Array(4))), 0);
    okv(w.B.close(s));
    assert.equal(info(w.A, fd).tcpi_state, L.TCP_FIN_WAIT2);
    w.run();
    assert.equal(info(w.A, fd).tcpi_state, L.TCP_TIME_WAIT);
  });
});

describe('SocketApi: blocking calls complete through PendingCall.retry', () => {
  test('accept, read with MSG_WAITALL, write larger than the send buffer', () => {
    const w = world();
    const lfd = okv(w.B.socket(L.AF_INET, L.SOCK_STREAM, 0));
    okv(w.B.bind(lfd, sockaddr4(0, 7400)));
    okv(w.B.listen(lfd, 2));
    const acc = w.B.accept(lfd);
    assert.ok(isPending(acc));
    assert.ok(isPending(acc.pending.retry(w.sim.now())));
    const cfd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    const con = w.A.connect(cfd, sockaddr4(B4, 7400));
    const sfd = finish(w, acc).ret;
    assert.equal(finish(w, con).ret, 0);
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const wr = w.A.write(cfd, big);
    assert.ok(isPending(wr));
    const buf = new Uint8Array(100_000);
    const rd = w.B.recv(sfd, buf, buf.length, L.MSG_WAITALL);
    assert.ok(isPending(rd));
    let a: CallResult = wr;
    let b: CallResult = rd;
    for (let i = 0; i < 500 && (isPending(a) || isPending(b)); i++) {
      w.run(5_000);
      if (isPending(a)) a = a.pending.retry(w.sim.now());
      if (isPending(b)) b = b.pending.retry(w.sim.now());
    }
    assert.equal(done(a).ret, 100_000);
    assert.equal(done(b).ret, 100_000);
    assert.deepEqual(buf, big);
    // MSG_PEEK leaves the data in place; SIOCOUTQ counts unacknowledged bytes.
    okv(w.A.write(cfd, text('peek')));
    assert.equal(done(w.A.ioctl(cfd, L.SIOCOUTQ)).value, 4);
    w.run();
    assert.equal(done(w.A.ioctl(cfd, L.SIOCOUTQ)).value, 0);
    const pb = new Uint8Array(8);
    assert.equal(okv(w.B.recv(sfd, pb, 8, L.MSG_PEEK)), 4);
    assert.equal(done(w.B.ioctl(sfd, L.FIONREAD)).value, 4);
    const v1 = new Uint8Array(2);
    const v2 = new Uint8Array(2);
    assert.equal(okv(w.B.readv(sfd, [v1, v2])), 4);
    assert.equal(str(v1, 2) + str(v2, 2), 'peek');
    assert.equal(okv(w.A.writev(cfd, [text('ab'), text('cd')])), 4);
    const got = okv(finish(w, w.B.read(sfd, pb)));
    assert.equal(str(pb, got), 'abcd');
  });

  test('a blocking read ends with 0 when the peer shuts down, SHUT_RD reads 0', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7401), sockaddr4(B4, 7401));
    const rd = w.A.read(c.cfd, new Uint8Array(4));
    assert.ok(isPending(rd));
    okv(w.B.shutdown(c.sfd, L.SHUT_WR));
    assert.equal(finish(w, rd).ret, 0);
    okv(w.B.shutdown(c.sfd, L.SHUT_RD));
    assert.equal(okv(w.B.read(c.sfd, new Uint8Array(4))), 0);
    const pr = done(w.B.poll([{ fd: c.sfd, events: L.POLLIN | L.POLLRDHUP }], 0));
    assert.equal(pr.revents![0]! & (L.POLLIN | L.POLLRDHUP | L.POLLHUP), L.POLLIN | L.POLLRDHUP | L.POLLHUP);
    errno(w.B.write(c.sfd, text('x')), E.EPIPE);
  });

  test('linger {1,t}: close stays pending until the FIN is acknowledged (also non-blocking)', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7402), sockaddr4(B4, 7402));
    okv(w.A.fcntl(c.cfd, L.F_SETFL, L.O_NONBLOCK));
    okv(w.A.setsockopt(c.cfd, L.SOL_SOCKET, L.SO_LINGER, { onoff: 1, linger: 5 }));
    okv(w.A.write(c.cfd, text('tail')));
    const cl = w.A.close(c.cfd);
    assert.ok(isPending(cl));
    assert.equal(cl.pending.deadline, w.sim.now() + 5_000_000);
    errno(w.A.read(c.cfd, new Uint8Array(1)), E.EBADF);
    const r = finish(w, cl, 1000);
    assert.equal(r.ret, 0);
    assert.ok(w.sim.now() < 1_000_000);
    assert.equal(okv(w.B.read(c.sfd, new Uint8Array(8))), 4);
  });

  test('linger {1,t} with bsdLinger on a non-blocking socket: EWOULDBLOCK at once', () => {
    const w = world({ bsdLinger: true });
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7403), sockaddr4(B4, 7403));
    okv(w.A.fcntl(c.cfd, L.F_SETFL, L.O_NONBLOCK));
    okv(w.A.setsockopt(c.cfd, L.SOL_SOCKET, L.SO_LINGER, { onoff: 1, linger: 5 }));
    okv(w.A.write(c.cfd, text('tail')));
    errno(w.A.close(c.cfd), E.EWOULDBLOCK);
    w.run();
    assert.equal(okv(w.B.read(c.sfd, new Uint8Array(8))), 4);
    assert.equal(okv(w.B.read(c.sfd, new Uint8Array(8))), 0);
  });

  test('SO_SNDTIMEO bounds a blocking connect: EINPROGRESS at the deadline', () => {
    const w = world();
    const fd = okv(w.A.socket(L.AF_INET, L.SOCK_STREAM, 0));
    okv(w.A.setsockopt(fd, L.SOL_SOCKET, L.SO_SNDTIMEO, { sec: 0, usec: 300_000 }));
    // 10.0.0.9 is on the link but nobody answers ARP: the SYN never leaves.
    const r = w.A.connect(fd, sockaddr4(0x0a000009, 80));
    assert.ok(isPending(r));
    assert.equal(r.pending.deadline, w.sim.now() + 300_000);
    errno(finish(w, r), E.EINPROGRESS);
    errno(finish(w, w.A.connect(fd, sockaddr4(0x0a000009, 80))), E.EALREADY);
    okv(w.A.fcntl(fd, L.F_SETFL, L.O_NONBLOCK));
    errno(w.A.connect(fd, sockaddr4(0x0a000009, 80)), E.EALREADY);
  });

  test('connect(AF_UNSPEC) disconnects; the socket can connect again', () => {
    const w = world();
    const c = connectPair(w, L.AF_INET, sockaddr4(B4, 7404), sockaddr4(B4, 7404));
    okv(w.A.connect(c.cfd, { family: L.AF_UNSPEC, addr: 0, port: 0 }));
    errno(w.A.getpeername(c.cfd), E.ENOTCONN);
    w.run();
    errno(w.B.read(c.sfd, new Uint8Array(1)), E.ECONNRESET);
    assert.deepEqual(done(w.A.getsockname(c.cfd)).addr, sockaddr4(0, 0));
    assert.equal(finish(w, w.A.connect(c.cfd, sockaddr4(B4, 7404))).ret, 0);
  });
});
