import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import { type DrillNamespace, type RouteChange, resolvePath, restoreSysctls, ShellInterpreter } from '../../../src/drill/commands/index.js';
import { parseScript } from '../../../src/drill/parser/index.js';
import { variantConfig } from '../../../src/drill/variants.js';
import { sharedPath } from '../../paths.js';

/** A namespace double that records every request. */
class FakeNamespace implements DrillNamespace {
  readonly sysctls = new Sysctls();
  readonly counters = new Map<string, number>([
    ['IpInReceives', 0],
    ['TcpActiveOpens', 0],
    ['TcpExtOutOfWindowIcmps', 0],
    ['TcpExtTCPFastOpenActive', 0],
  ]);
  history: Map<string, number> | undefined;
  readonly log: string[] = [];
  readonly routes: RouteChange[] = [];
  nstat(): ReadonlyMap<string, number> {
    return this.counters;
  }
  nstatHistory(): ReadonlyMap<string, number> | undefined {
    return this.history;
  }
  saveNstatHistory(values: ReadonlyMap<string, number>): void {
    this.history = new Map(values);
  }
  resetNstat(): void {
    this.history = undefined;
  }
  tcpMetricsFlush(): void {
    this.log.push('tcp_metrics flush');
  }
  setOffload(dev: string, feature: string, on: boolean): void {
    this.log.push(`offload ${dev} ${feature} ${on ? 'on' : 'off'}`);
  }
  setQdisc(dev: string, kind: string | undefined, params: readonly string[]): void {
    this.log.push(`qdisc ${dev} ${kind ?? '-'} ${params.join(' ')}`.trim());
  }
  setMtu(dev: string, mtu: number): void {
    this.log.push(`mtu ${dev} ${mtu}`);
  }
  changeRoute(route: RouteChange): void {
    this.routes.push(route);
  }
}

const files = new Map<string, string>();
function shell(ns = new FakeNamespace(), cwd = '/s/tcp/x'): { ns: FakeNamespace; sh: ShellInterpreter } {
  const sh = new ShellInterpreter({ ns, cwd, env: { PACKETDRILL_PID: '4242', PPID: '4242' }, readFile: (p) => files.get(p) });
  return { ns, sh };
}

describe('shell interpreter: sysctl', () => {
  it('writes with -q, several pairs, quotes and $(( )) arithmetic', () => {
    const { ns, sh } = shell();
    const r = sh.run('sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))" net.ipv4.tcp_sack=0');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '');
    assert.deepEqual(ns.sysctls.get('net.ipv4.tcp_rmem'), [4096, 540000, 15728640]);
    assert.equal(ns.sysctls.get('net.ipv4.tcp_sack'), 0);
  });
  it('prints name = value without -q, value only with -n, and reads', () => {
    const { sh } = shell();
    assert.equal(sh.run('sysctl -w net.ipv4.tcp_sack=1').stdout, 'net.ipv4.tcp_sack = 1\n');
    assert.equal(sh.run('sysctl -n net.ipv4.tcp_wmem').stdout, '4096\t16384\t4194304\n');
    assert.equal(sh.run('sysctl net/ipv4/tcp_sack').stdout, 'net.ipv4.tcp_sack = 1\n');
  });
  it('fails on an unknown key unless -e, and on a bad value', () => {
    const { sh } = shell();
    const r = sh.run('sysctl -q net.ipv4.no_such=1');
    assert.equal(r.status, 255);
    assert.match(r.stderr, /cannot stat \/proc\/sys\/net\/ipv4\/no_such/);
    assert.equal(sh.run('sysctl -e -q net.ipv4.no_such=1').status, 0);
    const bad = sh.run('sysctl -q net.ipv4.tcp_sack=7');
    assert.equal(bad.status, 255);
    assert.match(bad.stderr, /Invalid argument/);
  });
  it('runs the || fallback after a failing sysctl with &> /dev/null', () => {
    const { ns, sh } = shell();
    const r = sh.run('sysctl -q net.ipv4.tcp_fastopen_cookies=0 &> /dev/null ||\\\n ip tcp_metrics flush all &> /dev/null');
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.deepEqual(ns.log, ['tcp_metrics flush']);
  });
});

describe('shell interpreter: set_sysctls.py and restore', () => {
  it('writes, returns undo records, and the restore file puts values back', () => {
    const { ns, sh } = shell();
    const r = sh.run('../../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0 \\\n  /proc/sys/net/ipv4/tcp_wmem="4096 50000 4194304"');
    assert.equal(r.status, 0);
    assert.deepEqual(r.undo.map((u) => u.name), ['net.ipv4.tcp_timestamps', 'net.ipv4.tcp_wmem']);
    assert.equal(ns.sysctls.get('net.ipv4.tcp_timestamps'), 0);
    assert.deepEqual(ns.sysctls.get('net.ipv4.tcp_wmem'), [4096, 50000, 4194304]);
    assert.equal(sh.pendingUndo.length, 2);
    assert.equal(sh.run('/tmp/sysctl_restore_${PPID}.sh').status, 0);
    assert.equal(ns.sysctls.get('net.ipv4.tcp_timestamps'), 1);
    assert.deepEqual(ns.sysctls.get('net.ipv4.tcp_wmem'), [4096, 16384, 4194304]);
    assert.equal(sh.pendingUndo.length, 0);
    // Without pending records the restore file does not exist.
    assert.equal(sh.run('/tmp/sysctl_restore_4242.sh').status, 127);
  });
  it('restoreSysctls keeps the oldest value when a name was written twice', () => {
    const { ns, sh } = shell();
    const a = sh.run('set_sysctls.py /proc/sys/net/ipv4/tcp_sack=0').undo;
    const b = sh.run('set_sysctls.py /proc/sys/net/ipv4/tcp_sack=1').undo;
    sh.run('set_sysctls.py /proc/sys/net/ipv4/tcp_sack=0');
    restoreSysctls(ns, [...a, ...b]);
    assert.equal(ns.sysctls.get('net.ipv4.tcp_sack'), 1);
  });
  it('fails on an unknown or bad sysctl', () => {
    const { sh } = shell();
    assert.equal(sh.run('set_sysctls.py /proc/sys/net/ipv4/nope=1').status, 1);
    assert.equal(sh.run('set_sysctls.py /proc/sys/net/ipv4/tcp_sack=x').status, 1);
  });
});

describe('shell interpreter: nstat and grep', () => {
  it('prints nstat format, deltas since history, -a/-z/-n/-s', () => {
    const { ns, sh } = shell();
    ns.counters.set('IpInReceives', 5);
    assert.equal(sh.run('nstat').stdout, `#kernel\n${'IpInReceives'.padEnd(32)}${'5'.padEnd(16)}   0.0\n`);
    assert.equal(sh.run('nstat').stdout, '#kernel\n');
    ns.counters.set('IpInReceives', 7);
    assert.match(sh.run('nstat -s').stdout, /IpInReceives {20}2 /);
    assert.match(sh.run('nstat -a').stdout, /IpInReceives {20}7 /);
    assert.equal(sh.run('nstat -az').stdout.split('\n').length, 6);
    assert.equal(sh.run('nstat -n').stdout, '');
    assert.equal(sh.run('nstat').stdout, '#kernel\n');
    assert.match(sh.run('nstat -az Tcp*').stdout, /^#kernel\nTcpActiveOpens/);
  });
  it('filters through grep with -q, -c, -v, -w, -E', () => {
    const { ns, sh } = shell();
    assert.equal(sh.run('nstat > /dev/null').status, 0);
    assert.equal(sh.run('nstat | grep TcpExtOutOfWindowIcmps > /dev/null').status, 1);
    ns.counters.set('TcpExtOutOfWindowIcmps', 1);
    assert.equal(sh.run('nstat -s | grep TcpExtOutOfWindowIcmps > /dev/null').status, 0);
    assert.equal(sh.run('nstat -s | grep TcpExtOutOfWindowIcmps | grep -q " 1 "').status, 0);
    assert.equal(sh.run('nstat -s | grep -c Tcp').stdout, '1\n');
    assert.equal(sh.run('nstat -az | grep -v Tcp | grep -c .').stdout, '2\n');
    assert.equal(sh.run('nstat -az | grep -w -c TcpExt').stdout, '0\n');
    assert.equal(sh.run('nstat -az | grep -E -c "Ip|Active"').stdout, '3\n');
    assert.equal(sh.run('nstat -az | grep -c "Ip\\|Active"').stdout, '3\n');
  });
});

describe('shell interpreter: devices, routes, sequences', () => {
  it('ethtool, tc, ip link, ip route', () => {
    const { ns, sh } = shell();
    assert.equal(sh.run('ethtool -K tun0 tso off gso off').status, 0);
    assert.equal(sh.run('tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0').status, 0);
    assert.equal(sh.run('ip link set dev tun0 mtu 1400').status, 0);
    assert.deepEqual(ns.log, ['offload tun0 tso off', 'offload tun0 gso off', 'qdisc tun0 -', 'qdisc tun0 pfifo limit 0', 'mtu tun0 1400']);
    assert.equal(sh.run('ip -6 route change 2001:DB8::1 via fd3d:fa7b:d17d:8888::0 dev tun0 advmss 600 mtu lock 660 initcwnd 11').status, 0);
    assert.deepEqual(ns.routes[0], {
      family: 6,
      op: 'change',
      dest: '2001:DB8::1',
      via: 'fd3d:fa7b:d17d:8888::0',
      dev: 'tun0',
      metrics: {
        advmss: { value: 600, lock: false },
        mtu: { value: 660, lock: true },
        initcwnd: { value: 11, lock: false },
      },
    });
    assert.equal(sh.run('ethtool -K tun0 tso maybe').status, 1);
  });
  it('true/false/echo/sleep, ;, &&, ||, $VAR and $?', () => {
    const { sh } = shell();
    assert.equal(sh.run('false && echo no || echo yes').stdout, 'yes\n');
    assert.equal(sh.run('true; false').status, 1);
    assert.equal(sh.run('false; echo $?').stdout, '1\n');
    assert.equal(sh.run('echo "pid=$PACKETDRILL_PID" \'$HOME\' ${PPID} $((2+3*4))').stdout, 'pid=4242 $HOME 4242 14\n');
    const r = sh.run('sleep 0.25; sleep 1');
    assert.equal(r.sleepUs, 1_250_000);
    assert.equal(r.status, 0);
  });
  it('maps echo > /sys/module/tcp_cubic/parameters/P to the stack sysctl net.wirestack.cubic_P', () => {
    const { ns, sh } = shell();
    const r = sh.run('echo 1 > /sys/module/tcp_cubic/parameters/hystart_detect');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '');
    assert.equal(ns.sysctls.int('net.wirestack.cubic_hystart_detect'), 1);
    const bad = sh.run('echo 9 > /sys/module/tcp_cubic/parameters/hystart_detect');
    assert.equal(bad.status, 1);
    assert.equal(ns.sysctls.int('net.wirestack.cubic_hystart_detect'), 1);
  });

  it('fails unsupported commands with status 127 and a clear message', () => {
    const { sh } = shell();
    const r = sh.run('/bin/rm -f /tmp/testfile');
    assert.equal(r.status, 127);
    assert.equal(r.stderr, 'unsupported command: /bin/rm\n');
    assert.deepEqual(r.unsupported, ['/bin/rm']);
    assert.equal(sh.run('python3 x.py').stderr, 'unsupported command: python3\n');
    assert.match(sh.run('echo 3 > /sys/module/tcp_bbr/parameters/x').stderr, /^unsupported command: echo 1> \/sys/);
    assert.match(sh.run('grep " 0A " /proc/net/tcp').stderr, /^unsupported command: grep \(reading files/);
    assert.equal(sh.run('echo $(date)').status, 2);
  });
  it('resolves baseline paths relative to the script directory', () => {
    assert.equal(resolvePath('/a/b/c', '../common/defaults.sh'), '/a/b/common/defaults.sh');
    assert.equal(resolvePath('/a/b', './defaults.sh'), '/a/b/defaults.sh');
    files.set('/s/common/defaults.sh', '#!/bin/bash\n# comment\nsysctl -q net.ipv4.tcp_sack=0\n../tcp/x/more.sh\n');
    files.set('/s/tcp/x/more.sh', 'sysctl -q net.ipv4.tcp_dsack=0 > /dev/null 2>&1\n');
    const { ns, sh } = shell(new FakeNamespace(), '/s/tcp/x');
    assert.equal(sh.run('../../common/defaults.sh\n').status, 0);
    assert.equal(ns.sysctls.get('net.ipv4.tcp_sack'), 0);
    assert.equal(ns.sysctls.get('net.ipv4.tcp_dsack'), 0);
    assert.equal(sh.run('../nothere/defaults.sh').status, 127);
  });
});

// ---------------------------------------------------------------------------------------------
// Corpus: every back-quoted command line, and the defaults.sh baselines.
// ---------------------------------------------------------------------------------------------

const CORPUS_ROOTS = [sharedPath('packetdrill', 'corpus', 'google'), sharedPath('packetdrill', 'reference')];

function pktFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) pktFiles(p, out);
    else if (p.endsWith('.pkt')) out.push(p);
  }
  return out;
}

const readReal = (p: string): string | undefined => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);

describe('corpus commands', () => {
  const roots = CORPUS_ROOTS;
  const missing = roots.filter((r) => !existsSync(r));
  it('every command line runs or fails as unsupported', (t) => {
    if (missing.length > 0) {
      t.skip(`corpus folders missing: ${missing.join(', ')} (set WIRESTACK_SHARED)`);
      return;
    }
    const defines = variantConfig('ipv4').defines;
    const unsupported = new Map<string, string[]>();
    let commands = 0;
    for (const root of roots) {
      for (const file of pktFiles(root)) {
        const res = parseScript(readFileSync(file, 'utf8'), { file, defines });
        if (!res.ok) continue;
        const s = res.script;
        const list = [s.initCommand, ...s.events.map((e) => (e.type === 'command' ? e.command : undefined)), s.cleanupCommand];
        const ns = new FakeNamespace();
        const sh = new ShellInterpreter({ ns, cwd: dirname(file), env: { PACKETDRILL_PID: '4242', PPID: '4242' }, readFile: readReal });
        for (const c of list) {
          if (c === undefined) continue;
          commands++;
          const r = sh.run(c.command);
          if (r.unsupported.length > 0) {
            assert.match(r.stderr, /unsupported command: |sh: /, `${file}:${c.line}`);
            for (const u of r.unsupported) unsupported.set(u, [...(unsupported.get(u) ?? []), `${file.slice(file.indexOf('/corpus/') + 1)}:${c.line}`]);
          } else {
            // Supported commands run; the only failures allowed are state-dependent greps.
            assert.ok(r.status === 0 || /grep/.test(c.command), `${file}:${c.line}: status ${r.status}: ${r.stderr}`);
            assert.ok(!/^unsupported/m.test(r.stderr), r.stderr);
          }
        }
      }
    }
    const lines = [...unsupported].map(([name, where]) => `  ${name}  (${where.length}x, e.g. ${where[0]})`);
    t.diagnostic(`${commands} command lines; unsupported:\n${lines.join('\n')}`);
    process.stdout.write(`corpus commands: ${commands} run; unsupported (${unsupported.size}):\n${lines.join('\n')}\n`);
    assert.ok(commands > 100);
  });

  it('the defaults.sh baselines apply cleanly with their values', (t) => {
    const baselines = [
      sharedPath('packetdrill', 'corpus', 'google', 'gtests', 'net', 'common', 'defaults.sh'),
      sharedPath('packetdrill', 'corpus', 'google', 'gtests', 'net', 'tcp', 'common', 'defaults.sh'),
      sharedPath('packetdrill', 'reference', 'defaults.sh'),
    ];
    const absent = baselines.filter((p) => !existsSync(p));
    if (absent.length > 0) {
      t.skip(`baselines missing: ${absent.join(', ')} (set WIRESTACK_SHARED)`);
      return;
    }
    for (const path of baselines) {
      const ns = new FakeNamespace();
      const sh = new ShellInterpreter({ ns, cwd: dirname(path), readFile: readReal });
      const r = sh.run('./defaults.sh');
      assert.equal(r.status, 0, `${path}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.deepEqual(r.unsupported, []);
      const ss = ns.sysctls;
      assert.deepEqual(ss.get('net.ipv4.tcp_rmem'), [4096, 540000, 15728640]);
      assert.deepEqual(ss.get('net.ipv4.tcp_wmem'), [4096, 262144, 4194304]);
      assert.equal(ss.get('net.ipv4.tcp_slow_start_after_idle'), 0);
      assert.equal(ss.get('net.ipv4.tcp_early_retrans'), 4);
      assert.equal(ss.get('net.ipv4.tcp_ecn'), 0);
      assert.equal(ss.get('net.ipv4.tcp_fastopen'), path.includes('reference') ? 3 : 0x70403);
      assert.equal(ss.get('net.ipv4.tcp_fastopen_key'), 'a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4');
      assert.deepEqual(ns.log, ['tcp_metrics flush', 'qdisc tun0 pfifo']);
    }
  });
});
