/**
 * The few libc calls the TUN/TAP adapter needs (open, close, read, write, ioctl, fcntl), bound
 * through koffi and loaded on first use. Each returns the raw result; a negative result leaves the
 * error in `errno()`, which `errnoName` turns into `ENOENT`-style names for error messages.
 *
 * Linux only (x86-64 and aarch64 share these numbers).
 */
import koffi from 'koffi';

export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const EAGAIN = 11;
export const EINTR = 4;

export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  read(fd: number, buf: Uint8Array, len: number): number;
  write(fd: number, buf: Uint8Array, len: number): number;
  /** ioctl with a pointer argument (a struct in `arg`). */
  ioctlPtr(fd: number, req: number, arg: Uint8Array): number;
  /** ioctl with an integer argument. */
  ioctlInt(fd: number, req: number, arg: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  errno(): number;
}

let cached: Libc | undefined;

/** The bound libc (throws with a clear message when it cannot be loaded). */
export function libc(): Libc {
  if (cached !== undefined) return cached;
  if (process.platform !== 'linux') throw new Error(`TUN/TAP needs Linux (platform is ${process.platform})`);
  const lib = koffi.load('libc.so.6');
  const open = lib.func('int open(const char *path, int flags)');
  const close = lib.func('int close(int fd)');
  const read = lib.func('long read(int fd, _Out_ uint8_t *buf, size_t len)');
  const write = lib.func('long write(int fd, const uint8_t *buf, size_t len)');
  const ioctlPtr = lib.func('int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)');
  const ioctlInt = lib.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']);
  const fcntl = lib.func('fcntl', 'int', ['int', 'int', 'long']);
  cached = {
    open: (p, f) => open(p, f) as number,
    close: (fd) => close(fd) as number,
    read: (fd, b, n) => Number(read(fd, b, n)),
    write: (fd, b, n) => Number(write(fd, b, n)),
    ioctlPtr: (fd, r, a) => ioctlPtr(fd, r, a) as number,
    ioctlInt: (fd, r, a) => ioctlInt(fd, r, a) as number,
    fcntl: (fd, c, a) => fcntl(fd, c, a) as number,
    errno: () => koffi.errno(),
  };
  return cached;
}

let names: Map<number, string> | undefined;

/** `ENOENT` for 2, and so on (`E<n>` when unknown). */
export function errnoName(e: number): string {
  if (names === undefined) {
    names = new Map();
    for (const [k, v] of Object.entries(koffi.os.errno)) if (!names.has(v)) names.set(v, k);
  }
  return names.get(e) ?? `E${e}`;
}

/** An Error whose message names the call and the errno, with `code` set to the errno name. */
export function errnoError(what: string, e: number): Error & { code: string; errno: number } {
  const name = errnoName(e);
  const err = new Error(`${what}: ${name} (errno ${e})`) as Error & { code: string; errno: number };
  err.code = name;
  err.errno = e;
  return err;
}
