import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Lexer, strtolFull, type Token } from '../../../src/drill/parser/index.js';

function lex(src: string, defines: Record<string, string> = {}): Token[] {
  const l = new Lexer(src, new Map(Object.entries(defines)));
  const out: Token[] = [];
  for (let t = l.next(); t.kind !== 'eof'; t = l.next()) out.push(t);
  return out;
}

/** `kind:text` of each token. */
function kinds(src: string, defines: Record<string, string> = {}): string[] {
  return lex(src, defines).map((t) => `${t.kind}:${t.text}`);
}

describe('lexer: numbers and flags', () => {
  const cases: [string, string[]][] = [
    ['.002', ['float:.002']],
    ['0.05', ['float:0.05']],
    ['1.', ['int:1', 'char:.']],
    ['+.040', ['char:+', 'float:.040']],
    ['-1', ['int:-1']],
    ['- 1', ['char:-', 'int:1']],
    ['-.5', ['float:-.5']],
    ['1460', ['int:1460']],
    ['0x1F', ['hex:0x1F']],
    ['0X1F', ['word:0X1F']],
    ['0xZZ', ['word:0xZZ']],
    ['123abc', ['word:123abc']],
    ['3021b9d889017eeb', ['word:3021b9d889017eeb']],
    ['P.5', ['word:P', 'float:.5']],
    ['P5.', ['word:P5', 'char:.']],
    ['.6', ['float:.6']],
    ['S.', ['word:S', 'char:.']],
    ['1:1001(1000)', ['int:1', 'char::', 'int:1001', 'char:(', 'int:1000', 'char:)']],
    ['+0...0.2', ['char:+', 'int:0', 'ellipsis:...', 'float:0.2']],
    ['+.1...0.2', ['char:+', 'float:.1', 'ellipsis:...', 'float:0.2']],
    ['+.3~+.34', ['char:+', 'float:.3', 'char:~', 'char:+', 'float:.34']],
    ['....', ['ellipsis:...', 'char:.']],
  ];
  for (const [src, want] of cases) {
    test(JSON.stringify(src), () => assert.deepEqual(kinds(src), want));
  }

  test('numeric values', () => {
    const [a, b, c, d] = lex('0x10 -7 .25 00012');
    assert.equal(a!.value, 16);
    assert.equal(b!.value, -7);
    assert.equal(c!.value, 0.25);
    assert.equal(d!.value, 12);
  });
});

describe('lexer: addresses', () => {
  const cases: [string, string[]][] = [
    ['192.0.2.1', ['ipv4:192.0.2.1']],
    ['1.2.3.4.5', ['ipv4:1.2.3.4', 'float:.5']],
    ['fd3d:fa7b:d17d::1', ['ipv6:fd3d:fa7b:d17d::1']],
    ['::ffff:192.0.2.1', ['ipv6:::ffff:192.0.2.1']],
    ['2001:DB8::1', ['ipv6:2001:DB8::1']],
    ['1:2:3:4:5:6:7:8', ['ipv6:1:2:3:4:5:6:7:8']],
    ['::', ['ipv6:::']],
    ['::1', ['ipv6:::1']],
    ['fd::1', ['ipv6:fd::1']],
    ['fd3d::1:', ['ipv6:fd3d::1', 'char::']],
    ['dead:beef', ['word:dead', 'char::', 'word:beef']],
  ];
  for (const [src, want] of cases) {
    test(JSON.stringify(src), () => assert.deepEqual(kinds(src), want));
  }
});

describe('lexer: words and keywords', () => {
  test('keywords are whole words only', () => {
    assert.deepEqual(kinds('ack acks sackOK sack sequence# sequence Flags flags TS TSX e0b'), [
      'keyword:ack',
      'word:acks',
      'keyword:sackOK',
      'keyword:sack',
      'keyword:sequence#',
      'word:sequence',
      'keyword:Flags',
      'keyword:flags',
      'keyword:TS',
      'word:TSX',
      'keyword:e0b',
    ]);
  });

  test('options', () => {
    assert.deepEqual(kinds('--ip_version=ipv4 --strict_segments'), [
      'option:ip_version',
      'char:=',
      'keyword:ipv4',
      'option:strict_segments',
    ]);
    // In-script ipv4-mapped-ipv6 cannot lex as one value.
    assert.deepEqual(kinds('--ip_version=ipv4-mapped-ipv6'), [
      'option:ip_version',
      'char:=',
      'keyword:ipv4',
      'char:-',
      'word:mapped',
      'char:-',
      'keyword:ipv6',
    ]);
  });

  test('any other character is a single-char token, # included', () => {
    assert.deepEqual(kinds('# <>|&~*'), [
      'char:#',
      'char:<',
      'char:>',
      'char:|',
      'char:&',
      'char:~',
      'char:*',
    ]);
  });
});

describe('lexer: strings, commands, code, comments', () => {
  test('strings keep escapes and may span lines', () => {
    assert.deepEqual(kinds('"a\\"b" "x\ny"'), ['string:a\\"b', 'string:x\ny']);
  });
  test('a string ends at the first unescaped quote', () => {
    assert.deepEqual(kinds('"a\\\\" , "b"'), ['string:a\\\\" , ', 'word:b', 'char:"']);
  });
  test('an unterminated string is a quote character', () => {
    assert.deepEqual(kinds('"abc'), ['char:"', 'word:abc']);
  });
  test('back-quoted commands keep their text raw', () => {
    assert.deepEqual(kinds('`sysctl -q net.ipv4.tcp_sack=0 # x`'), [
      'backquoted:sysctl -q net.ipv4.tcp_sack=0 # x',
    ]);
    assert.deepEqual(kinds('`a\nb`'), ['backquoted:a\nb']);
  });
  test('code blocks are trimmed of spaces and tabs, not newlines', () => {
    assert.deepEqual(kinds('%{ x = 1 }%'), ['code:x = 1']);
    assert.deepEqual(kinds('%{\t\nassert a\n }%'), ['code:\nassert a\n']);
    // "}}" is consumed as a pair, so "}}%" does not close the block.
    assert.deepEqual(kinds('%{ {}}% }%'), ['code:{}}%']);
    assert.deepEqual(kinds('%{ never closed'), ['char:%', 'char:{', 'word:never', 'word:closed']);
  });
  test('comments', () => {
    assert.deepEqual(kinds('// x y\n1 /* a\n b */ 2'), ['int:1', 'int:2']);
    assert.deepEqual(kinds('1 // at end of file'), ['int:1']);
    // "**" is consumed as a pair, so "**/" does not close the comment.
    assert.deepEqual(kinds('/* a **/ 1 */ 2'), ['int:2']);
    assert.deepEqual(kinds('/* open'), ['char:/', 'char:*', 'word:open']);
  });
  test('CRLF line ends are whitespace', () => {
    assert.deepEqual(kinds('1\r\n2'), ['int:1', 'int:2']);
    assert.deepEqual(kinds('1\r2'), ['int:1', 'char:\r', 'int:2']);
  });
});

describe('lexer: positions', () => {
  test('1-based line and column', () => {
    const t = lex('0 socket()\n  +0 > S 0:0(0)\n/* c\n */ `x`');
    const at = (text: string) => {
      const f = t.find((x) => x.text === text)!;
      return [f.line, f.col];
    };
    assert.deepEqual(at('socket'), [1, 3]);
    assert.deepEqual(at('>'), [2, 6]);
    assert.deepEqual(at('x'), [4, 5]);
  });
});

describe('lexer: defines', () => {
  const D = { STR: '"hello"', CMD: '`echo`', NUM: '0x10', OCT: '010', DEC: '42', SYM: 'SOL_IP', ack: '1' };
  test('a defined WORD becomes a string, command, integer or word', () => {
    assert.deepEqual(kinds('STR CMD NUM OCT DEC SYM OTHER', D), [
      'string:hello',
      'backquoted:echo',
      'int:0x10',
      'int:8',
      'int:42',
      'word:SOL_IP',
      'word:OTHER',
    ]);
    const t = lex('NUM', D)[0]!;
    assert.equal(t.value, 16);
    assert.equal(t.definedFrom, 'NUM');
  });
  test('keywords and numbers are never substituted', () => {
    assert.deepEqual(kinds('ack 42', { ...D, 42: 'x' }), ['keyword:ack', 'int:42']);
  });
  test('strtolFull reads like C strtol(s, &end, 0) and needs the whole text', () => {
    assert.equal(strtolFull('010'), 8);
    assert.equal(strtolFull('08'), undefined);
    assert.equal(strtolFull('0x1f'), 31);
    assert.equal(strtolFull('0X1F'), 31);
    assert.equal(strtolFull('-5'), -5);
    assert.equal(strtolFull('+5'), 5);
    assert.equal(strtolFull(' 7'), 7);
    assert.equal(strtolFull('7 '), undefined);
    assert.equal(strtolFull(''), undefined);
    assert.equal(strtolFull('0x'), undefined);
    assert.equal(strtolFull('0'), 0);
    assert.equal(strtolFull('3021b9d889017eeb'), undefined);
  });
});
