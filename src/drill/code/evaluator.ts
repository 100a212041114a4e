/**
 * Evaluator for parsed `%{ }%` code. Integers are exact (`bigint`), as in Python; floats are
 * numbers. Globals persist across snippets of one script (packetdrill runs them as one file), and
 * before each snippet the snapshot names of its `CodeContext` are (re)defined.
 */
import type { PyExpr, PyProgram, PyStmt } from './parser.js';
import { SK_MEMINFO_NAMES, TCP_CC_INFO_NAMES, TCP_CODE_CONSTANTS, TCP_INFO_NAMES } from './tcpinfo.js';

/** A snapshot object with attribute access (`tcp_info.tcpi_rtt`). */
export class PyObject {
  constructor(
    readonly typeName: string,
    readonly attrs: ReadonlyMap<string, PyValue>,
  ) {}
}

export type PyValue =
  | bigint
  | number
  | string
  | boolean
  | null
  | { readonly tuple: readonly PyValue[] }
  | PyValue[]
  | PyObject
  | { readonly builtin: string };

/** Numbers a caller may hand over: plain integers or bigints (for `__u64` fields). */
export type SnapshotNumber = number | bigint;

/**
 * What the runner provides at a code event: the socket's `TCP_INFO`, `SO_MEMINFO` and
 * `TCP_CC_INFO` values under their Linux names (see `tcpinfo.ts`). Missing names stay undefined in
 * the snippet (a use is a `NameError`).
 */
export interface CodeContext {
  readonly tcpInfo: Readonly<Partial<Record<string, SnapshotNumber>>>;
  readonly meminfo?: Readonly<Partial<Record<string, SnapshotNumber>>>;
  readonly ccInfo?: Readonly<Partial<Record<string, SnapshotNumber>>>;
}

/** A Python-level exception: `type` is the exception class name (`AssertionError`, `NameError`...). */
export class PyError extends Error {
  constructor(
    readonly type: string,
    readonly detail: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(detail === '' ? type : `${type}: ${detail}`);
  }
}

const BUILTINS = ['print', 'min', 'max', 'abs', 'len', 'int', 'str', 'hex', 'bool', 'float', 'round', 'repr'];

function toValue(x: SnapshotNumber): PyValue {
  return typeof x === 'bigint' ? x : Number.isInteger(x) ? BigInt(x) : x;
}

/** Runs snippets in order with shared globals. */
export class CodeInterpreter {
  readonly globals = new Map<string, PyValue>();
  /** Lines printed by `print(...)`, in order. */
  readonly output: string[] = [];

  /** Defines the snapshot names and constants, then runs `program`. Throws `PyError`. */
  run(program: PyProgram, ctx: CodeContext): void {
    this.defineSnapshot(ctx);
    this.execBlock(program.body);
  }

  private defineSnapshot(ctx: CodeContext): void {
    for (const [k, v] of Object.entries(TCP_CODE_CONSTANTS)) this.globals.set(k, BigInt(v));
    for (const b of BUILTINS) if (!this.globals.has(b)) this.globals.set(b, { builtin: b });
    type Rec = Readonly<Partial<Record<string, SnapshotNumber>>>;
    const group = (names: Iterable<string>, rec: Rec | undefined, type: string): PyObject => {
      const attrs = new Map<string, PyValue>();
      for (const name of names) {
        const v = rec?.[name];
        if (v !== undefined) {
          attrs.set(name, toValue(v));
          this.globals.set(name, toValue(v));
        }
      }
      return new PyObject(type, attrs);
    };
    this.globals.set('tcp_info', group(TCP_INFO_NAMES, ctx.tcpInfo, 'tcp_info'));
    this.globals.set('sk_meminfo', group(SK_MEMINFO_NAMES, ctx.meminfo, 'sk_meminfo'));
    this.globals.set('tcp_cc_info', group(TCP_CC_INFO_NAMES, ctx.ccInfo, 'tcp_cc_info'));
  }

  private execBlock(body: readonly PyStmt[]): void {
    for (const s of body) this.exec(s);
  }

  private exec(s: PyStmt): void {
    switch (s.k) {
      case 'pass':
        return;
      case 'expr':
        this.eval(s.expr);
        return;
      case 'assert': {
        if (truthy(this.eval(s.test))) return;
        const msg = s.msg === undefined ? '' : str(this.eval(s.msg));
        throw new PyError('AssertionError', msg, s.line, s.col);
      }
      case 'assign': {
        const v = this.eval(s.value);
        for (const t of s.targets) this.assign(t, v);
        return;
      }
      case 'augassign': {
        const cur = this.eval(s.target);
        this.assign(s.target, binary(s.op, cur, this.eval(s.value), s.line, s.col));
        return;
      }
      case 'if': {
        for (const b of s.branches) {
          if (truthy(this.eval(b.test))) {
            this.execBlock(b.body);
            return;
          }
        }
        this.execBlock(s.orelse);
        return;
      }
    }
  }

  private assign(t: PyExpr, v: PyValue): void {
    if (t.k === 'name') {
      this.globals.set(t.name, v);
      return;
    }
    if (t.k === 'tuple' || t.k === 'list') {
      const items = sequence(v, t.line, t.col);
      if (items.length !== t.items.length) {
        throw new PyError('ValueError', `expected ${t.items.length} values to unpack, got ${items.length}`, t.line, t.col);
      }
      t.items.forEach((x, i) => this.assign(x, items[i]!));
      return;
    }
    if (t.k === 'index') {
      const obj = this.eval(t.obj);
      if (Array.isArray(obj)) {
        obj[indexOf(this.eval(t.index), obj.length, t.line, t.col)] = v;
        return;
      }
    }
    throw new PyError('TypeError', 'object does not support assignment', t.line, t.col);
  }

  eval(e: PyExpr): PyValue {
    switch (e.k) {
      case 'num':
        return e.value;
      case 'str':
        return e.value;
      case 'const':
        return e.value;
      case 'fstr':
        return e.parts.map((p) => (typeof p === 'string' ? p : formatSpec(this.eval(p.expr), p.spec, e.line, e.col))).join('');
      case 'name': {
        const v = this.globals.get(e.name);
        if (v === undefined) {
          const why = TCP_INFO_NAMES.has(e.name) ? ' (a tcp_info field the stack does not report)' : '';
          throw new PyError('NameError', `name '${e.name}' is not defined${why}`, e.line, e.col);
        }
        return v;
      }
      case 'tuple':
        return { tuple: e.items.map((x) => this.eval(x)) };
      case 'list':
        return e.items.map((x) => this.eval(x));
      case 'unary': {
        const v = this.eval(e.operand);
        if (e.op === 'not') return !truthy(v);
        const n = numeric(v, e.line, e.col);
        if (e.op === '+') return n;
        if (e.op === '-') return typeof n === 'bigint' ? -n : -n;
        if (typeof n !== 'bigint') throw new PyError('TypeError', "bad operand type for unary ~: 'float'", e.line, e.col);
        return ~n;
      }
      case 'bool': {
        const l = this.eval(e.lhs);
        if (e.op === 'and') return truthy(l) ? this.eval(e.rhs) : l;
        return truthy(l) ? l : this.eval(e.rhs);
      }
      case 'binary':
        return binary(e.op, this.eval(e.lhs), this.eval(e.rhs), e.line, e.col);
      case 'compare': {
        let lhs = this.eval(e.first);
        for (let i = 0; i < e.ops.length; i++) {
          const rhs = this.eval(e.rest[i]!);
          if (!compare(e.ops[i]!, lhs, rhs, e.line, e.col)) return false;
          lhs = rhs;
        }
        return true;
      }
      case 'cond':
        return truthy(this.eval(e.test)) ? this.eval(e.then) : this.eval(e.else);
      case 'attr': {
        const obj = this.eval(e.obj);
        if (obj instanceof PyObject) {
          const v = obj.attrs.get(e.name);
          if (v !== undefined) return v;
        }
        throw new PyError('AttributeError', `'${typeName(obj)}' object has no attribute '${e.name}'`, e.line, e.col);
      }
      case 'index': {
        const obj = this.eval(e.obj);
        const seq = typeof obj === 'string' ? [...obj] : sequence(obj, e.line, e.col);
        return seq[indexOf(this.eval(e.index), seq.length, e.line, e.col)] ?? null;
      }
      case 'call': {
        const fn = this.eval(e.fn);
        const args = e.args.map((a) => this.eval(a));
        if (fn === null || typeof fn !== 'object' || !('builtin' in fn)) {
          throw new PyError('TypeError', `'${typeName(fn)}' object is not callable`, e.line, e.col);
        }
        return this.callBuiltin(fn.builtin, args, e.line, e.col);
      }
    }
  }

  private callBuiltin(name: string, args: PyValue[], line: number, col: number): PyValue {
    const one = (): PyValue => {
      if (args.length !== 1) throw new PyError('TypeError', `${name}() takes exactly one argument (${args.length} given)`, line, col);
      return args[0]!;
    };
    switch (name) {
      case 'print':
        this.output.push(args.map(str).join(' '));
        return null;
      case 'min':
      case 'max': {
        const items = args.length === 1 ? sequence(args[0]!, line, col) : args;
        if (items.length === 0) throw new PyError('ValueError', `${name}() arg is an empty sequence`, line, col);
        let best: PyValue = items[0] ?? null;
        for (const x of items.slice(1)) if (compare(name === 'min' ? '<' : '>', x, best, line, col)) best = x;
        return best;
      }
      case 'abs': {
        const n = numeric(one(), line, col);
        return n < 0 ? -n : n;
      }
      case 'len': {
        const v = one();
        return BigInt(typeof v === 'string' ? v.length : sequence(v, line, col).length);
      }
      case 'int': {
        const v = one();
        if (typeof v === 'string') {
          if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new PyError('ValueError', `invalid literal for int() with base 10: ${repr(v)}`, line, col);
          return BigInt(v.trim());
        }
        const n = numeric(v, line, col);
        return typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
      }
      case 'float':
        return Number(numeric(one(), line, col));
      case 'round':
        return BigInt(Math.round(Number(numeric(one(), line, col))));
      case 'bool':
        return truthy(one());
      case 'str':
        return str(one());
      case 'repr':
        return repr(one());
      case 'hex': {
        const n = numeric(one(), line, col);
        if (typeof n !== 'bigint') throw new PyError('TypeError', "'float' object cannot be interpreted as an integer", line, col);
        return n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
      }
      default:
        throw new PyError('NameError', `name '${name}' is not defined`, line, col);
    }
  }
}

function typeName(v: PyValue): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyObject) return v.typeName;
  if ('tuple' in v) return 'tuple';
  return 'builtin_function_or_method';
}

export function truthy(v: PyValue): boolean {
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'boolean') return v;
  if (v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyObject) return true;
  if ('tuple' in v) return v.tuple.length > 0;
  return true;
}

function numeric(v: PyValue, line: number, col: number): bigint | number {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw new PyError('TypeError', `unsupported operand type: '${typeName(v)}'`, line, col);
}

function sequence(v: PyValue, line: number, col: number): readonly PyValue[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object' && 'tuple' in v) return v.tuple;
  throw new PyError('TypeError', `'${typeName(v)}' object is not iterable`, line, col);
}

function indexOf(i: PyValue, len: number, line: number, col: number): number {
  const n = numeric(i, line, col);
  if (typeof n !== 'bigint') throw new PyError('TypeError', 'indices must be integers', line, col);
  const k = Number(n < 0n ? n + BigInt(len) : n);
  if (k < 0 || k >= len) throw new PyError('IndexError', 'index out of range', line, col);
  return k;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function binary(op: string, a: PyValue, b: PyValue, line: number, col: number): PyValue {
  if (op === '%' && typeof a === 'string') return percentFormat(a, b, line, col);
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (op === '*' && typeof a === 'string' && typeof b === 'bigint') return a.repeat(Math.max(0, Number(b)));
  const x = numeric(a, line, col);
  const y = numeric(b, line, col);
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    const zero = (): never => {
      throw new PyError('ZeroDivisionError', 'integer division or modulo by zero', line, col);
    };
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return y === 0n ? zero() : Number(x) / Number(y);
      case '//': return y === 0n ? zero() : floorDiv(x, y);
      case '%': return y === 0n ? zero() : x - floorDiv(x, y) * y;
      case '**': return y < 0n ? Number(x) ** Number(y) : x ** y;
      case '&': return x & y;
      case '|': return x | y;
      case '^': return x ^ y;
      case '<<': return x << y;
      case '>>': return x >> y;
    }
  } else {
    const fx = Number(x);
    const fy = Number(y);
    if ((op === '/' || op === '//' || op === '%') && fy === 0) throw new PyError('ZeroDivisionError', 'float division by zero', line, col);
    switch (op) {
      case '+': return fx + fy;
      case '-': return fx - fy;
      case '*': return fx * fy;
      case '/': return fx / fy;
      case '//': return Math.floor(fx / fy);
      case '%': return fx - Math.floor(fx / fy) * fy;
      case '**': return fx ** fy;
    }
  }
  throw new PyError('TypeError', `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`, line, col);
}

function equal(a: PyValue, b: PyValue): boolean {
  const na = typeof a === 'boolean' ? (a ? 1n : 0n) : a;
  const nb = typeof b === 'boolean' ? (b ? 1n : 0n) : b;
  if ((typeof na === 'bigint' || typeof na === 'number') && (typeof nb === 'bigint' || typeof nb === 'number')) {
    return typeof na === typeof nb ? na === nb : Number(na) === Number(nb);
  }
  if (typeof na === 'string' || typeof nb === 'string' || na === null || nb === null) return na === nb;
  const sa = Array.isArray(na) || 'tuple' in (na as object) ? sequenceOrUndef(na) : undefined;
  const sb = Array.isArray(nb) || 'tuple' in (nb as object) ? sequenceOrUndef(nb) : undefined;
  if (sa && sb && Array.isArray(na) === Array.isArray(nb)) {
    return sa.length === sb.length && sa.every((x, i) => equal(x, sb[i]!));
  }
  return na === nb;
}

function sequenceOrUndef(v: PyValue): readonly PyValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object' && 'tuple' in v) return v.tuple;
  return undefined;
}

function compare(op: string, a: PyValue, b: PyValue, line: number, col: number): boolean {
  switch (op) {
    case '==': return equal(a, b);
    case '!=': return !equal(a, b);
    case 'is': return a === b || (a === null && b === null);
    case 'is not': return !(a === b || (a === null && b === null));
    case 'in':
    case 'not in': {
      let found: boolean;
      if (typeof b === 'string') {
        if (typeof a !== 'string') throw new PyError('TypeError', "'in <string>' requires string as left operand", line, col);
        found = b.includes(a);
      } else {
        found = sequence(b, line, col).some((x) => equal(a, x));
      }
      return op === 'in' ? found : !found;
    }
  }
  let c: number;
  if (typeof a === 'string' && typeof b === 'string') {
    c = a < b ? -1 : a > b ? 1 : 0;
  } else {
    const x = numeric(a, line, col);
    const y = numeric(b, line, col);
    c = x < y ? -1 : x > y ? 1 : 0;
  }
  switch (op) {
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    default: return c >= 0;
  }
}

/** Python's `repr`. */
export function repr(v: PyValue): string {
  if (typeof v === 'string') return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replaceAll("'", "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (v !== null && typeof v === 'object' && 'tuple' in v) {
    return v.tuple.length === 1 ? `(${repr(v.tuple[0]!)},)` : `(${v.tuple.map(repr).join(', ')})`;
  }
  return str(v);
}

/** Python's `str`. */
export function str(v: PyValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e16 ? v.toFixed(1) : String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (v instanceof PyObject) return `<${v.typeName}>`;
  if (Array.isArray(v) || 'tuple' in v) return repr(v);
  return `<built-in function ${v.builtin}>`;
}

function formatSpec(v: PyValue, spec: string, line: number, col: number): string {
  if (spec === '') return str(v);
  const m = /^([<>^])?(0)?(\d+)?(?:\.(\d+))?([dxXfsob])?$/.exec(spec);
  if (!m) throw new PyError('ValueError', `unsupported format specifier '${spec}'`, line, col);
  return applyConv(v, m[5] ?? 's', m[3] ? Number(m[3]) : 0, m[2] === '0', m[1] === '<', m[4], line, col);
}

function applyConv(
  v: PyValue,
  conv: string,
  width: number,
  zero: boolean,
  left: boolean,
  prec: string | undefined,
  line: number,
  col: number,
): string {
  let s: string;
  switch (conv) {
    case 'd':
    case 'i':
    case 'u': {
      const n = numeric(v, line, col);
      s = (typeof n === 'bigint' ? n : BigInt(Math.trunc(n))).toString();
      break;
    }
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      const n = numeric(v, line, col);
      if (typeof n !== 'bigint') throw new PyError('TypeError', `%${conv} format: an integer is required, not float`, line, col);
      const radix = conv === 'o' ? 8 : conv === 'b' ? 2 : 16;
      s = n < 0n ? `-${(-n).toString(radix)}` : n.toString(radix);
      if (conv === 'X') s = s.toUpperCase();
      break;
    }
    case 'f':
    case 'e':
    case 'g': {
      const n = Number(numeric(v, line, col));
      const p = prec === undefined ? 6 : Number(prec);
      s = conv === 'f' ? n.toFixed(p) : conv === 'e' ? n.toExponential(p) : String(n);
      break;
    }
    case 'r':
      s = repr(v);
      break;
    default:
      s = str(v);
      if (prec !== undefined) s = s.slice(0, Number(prec));
  }
  if (s.length >= width) return s;
  if (left) return s.padEnd(width);
  if (zero && conv !== 's' && conv !== 'r') return s.startsWith('-') ? `-${s.slice(1).padStart(width - 1, '0')}` : s.padStart(width, '0');
  return s.padStart(width);
}

function percentFormat(fmt: string, arg: PyValue, line: number, col: number): string {
  const args = arg !== null && typeof arg === 'object' && !Array.isArray(arg) && 'tuple' in arg ? arg.tuple : [arg];
  let k = 0;
  const out = fmt.replace(/%([-0]*)(\d+)?(?:\.(\d+))?([diouxXeEfgsr%])/g, (_all, flags: string, w: string | undefined, p: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    if (k >= args.length) throw new PyError('TypeError', 'not enough arguments for format string', line, col);
    const v = args[k++]!;
    return applyConv(v, conv, w ? Number(w) : 0, flags.includes('0'), flags.includes('-'), p, line, col);
  });
  if (k < args.length) throw new PyError('TypeError', 'not all arguments converted during string formatting', line, col);
  return out;
}
