import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import { evalArithmetic, parseShell, posixRegexSource, ShellInterpreter, ShellSyntaxError, tokenizeShell } from '../../../src/drill/commands/index.js';

const words = (src: string): unknown[] =>
  tokenizeShell(src).map((t) => (t.t === 'word' ? t.word.parts.map((p) => (p.kind === 'lit' ? p.text : p.kind === 'var' ? `<$${p.name}>` : `<((${p.expr}))>`)).join('') : `op:${t.op}`));

describe('shell tokenizer', () => {
  it('handles quotes, escapes, variables and arithmetic', () => {
    assert.deepEqual(words('a "b c" \'d $e\' f\\ g "x$HOME" ${PPID} $((15*1024*(2+1)))'), [
      'a', 'b c', 'd $e', 'f g', 'x<$HOME>', '<$PPID>', '<((15*1024*(2+1)))>',
    ]);
    assert.deepEqual(words('x=""'), ['x=']);
    assert.deepEqual(words('a\\\n b # comment\nc'), ['a', 'b', 'op:\n', 'c']);
  });
  it('splits operators and redirections', () => {
    assert.deepEqual(words('a | b && c || d ; e > /dev/null 2>&1 &> /dev/null 2>/dev/null'), [
      'a', 'op:|', 'b', 'op:&&', 'c', 'op:||', 'd', 'op:;', 'e', 'op:>', '/dev/null', 'op:>&', '1', 'op:&>', '/dev/null', 'op:>', '/dev/null',
    ]);
  });
  it('rejects what the subset does not cover', () => {
    for (const bad of ['echo $(date)', 'echo `date`', '(a)', 'a &', 'echo "open', "echo 'open"]) {
      assert.throws(() => parseShell(bad), ShellSyntaxError, bad);
    }
    assert.throws(() => parseShell('a &&'), ShellSyntaxError);
    assert.throws(() => parseShell('| a'), ShellSyntaxError);
  });
  it('parses lists of and-or pipelines', () => {
    const l = parseShell('a | b\n\nc && d || e; f');
    assert.equal(l.items.length, 3);
    assert.equal(l.items[0]!.pipelines[0]!.commands.length, 2);
    assert.deepEqual(l.items[1]!.ops, ['&&', '||']);
  });
});

describe('shell arithmetic', () => {
  it('follows precedence, bases and variables', () => {
    const env = (n: string): string | undefined => ({ X: '7', E: '' })[n];
    assert.equal(evalArithmetic('15*1024*1024', env), 15728640n);
    assert.equal(evalArithmetic('1 + 2 * 3 - (4 - 1) / 2', env), 6n);
    assert.equal(evalArithmetic('0x10 | 010 | 1 << 8', env), 0x118n);
    assert.equal(evalArithmetic('X * 2 + E + Y', env), 14n);
    assert.equal(evalArithmetic('-3 % 2 == -1 && !0', env), 1n);
    assert.throws(() => evalArithmetic('1 / 0', env), ShellSyntaxError);
    assert.throws(() => evalArithmetic('1 +', env), ShellSyntaxError);
  });
});

describe('grep regex translation', () => {
  it('maps BRE to JS and keeps ERE', () => {
    assert.equal(posixRegexSource('a\\|b(c)+', false), 'a|b\\(c\\)\\+');
    assert.equal(posixRegexSource('a|b(c)+', true), 'a|b(c)+');
  });
});

describe('shell robustness', () => {
  it('parseShell either parses or throws ShellSyntaxError on any text', () => {
    const alphabet = fc.constantFrom(...'ab $(){}|&;<>\'"\\`#\n=*0123+-/.'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')), (src) => {
        try {
          parseShell(src);
        } catch (e) {
          if (!(e instanceof ShellSyntaxError)) throw e;
        }
      }),
      { numRuns: 5000 },
    );
  });
  it('the interpreter never throws and reports a status for any text', () => {
    const ns = {
      sysctls: new Sysctls(),
      nstat: () => new Map([['IpInReceives', 1]]),
      nstatHistory: () => undefined,
      saveNstatHistory: () => undefined,
      resetNstat: () => undefined,
      tcpMetricsFlush: () => undefined,
      setOffload: () => undefined,
      setQdisc: () => undefined,
      setMtu: () => undefined,
      changeRoute: () => undefined,
    };
    const sh = new ShellInterpreter({ ns, cwd: '/x', readFile: () => undefined });
    const word = fc.constantFrom('sysctl', '-q', '-n', 'net.ipv4.tcp_sack=1', 'nstat', '-az', '|', 'grep', '-c', 'Ip', '&&', '||', ';',
      'ip', 'route', 'change', '1.2.3.4', 'mtu', 'lock', 'tc', 'qdisc', 'add', 'dev', 'tun0', 'root', 'pfifo', 'ethtool', '-K', 'tso',
      'off', 'echo', '$((1/0))', '$X', '>', '/dev/null', '2>&1', 'sleep', '1', 'x', 'set_sysctls.py', '/proc/sys/net/ipv4/tcp_sack=0');
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }).map((a) => a.join(' ')), (src) => {
        const r = sh.run(src);
        assert.equal(typeof r.status, 'number');
      }),
      { numRuns: 3000 },
    );
  });
});
