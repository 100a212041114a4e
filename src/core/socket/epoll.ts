/**
 * epoll instances for `SocketApi`: the interest list and the level- / edge-triggered report rules.
 *
 * Level-triggered entries report whenever the file is ready for an event of interest. Edge-triggered
 * entries (EPOLLET) report only after a wakeup: readiness is sampled (on every `epoll_wait`, and
 * whenever the owner calls `SocketApi.epollTick()`, e.g. after each stack step) and an entry
 * becomes reportable when its ready mask gained a bit since the previous sample, or when new data
 * arrived while it is readable (each arrival is a wakeup, even when the mask did not change). A
 * report returns the whole current mask and consumes the wakeup. EPOLLONESHOT disables the entry
 * after one report until EPOLL_CTL_MOD re-arms it. ADD and MOD treat everything ready at that
 * moment as a fresh wakeup.
 */
import { LINUX } from './linux.js';

export interface EpollEvent {
  events: number;
  data: number;
}

/** What an epoll instance needs to know about the files it watches. */
export interface EpollProbe {
  /** The poll mask of an open file (0 when unknown). */
  readiness(fd: number): number;
  /** A value that changes whenever new data arrives on the file (any number; only changes matter). */
  arrivals(fd: number): number;
}

const CONTROL_BITS = LINUX.EPOLLET | LINUX.EPOLLONESHOT | LINUX.EPOLLEXCLUSIVE | LINUX.EPOLLWAKEUP;

export class EpollEntry {
  disabled = false;
  /** The ready mask at the previous sample. */
  lastMask = 0;
  lastArrivals = 0;
  /** Wakeup bits not yet reported (edge-triggered). */
  pending = 0;
  constructor(
    public events: number,
    public data: number,
  ) {}

  /** The readiness bits this entry reports (interest plus the always-reported ERR and HUP). */
  get want(): number {
    return (this.events | LINUX.EPOLLERR | LINUX.EPOLLHUP) & ~CONTROL_BITS;
  }

  get edge(): boolean {
    return (this.events & LINUX.EPOLLET) !== 0;
  }

  /** Re-arms the entry with new settings (ADD / MOD): what is ready now counts as a wakeup. */
  arm(events: number, data: number): void {
    this.events = events;
    this.data = data;
    this.disabled = false;
    this.lastMask = 0;
    this.pending = 0;
  }
}

export class Epoll {
  readonly isEpoll = true;
  readonly interest = new Map<number, EpollEntry>();
  constructor(public cloexec: boolean) {}

  /** Takes one readiness sample of every watched file (records the edges since the last one). */
  sample(probe: EpollProbe): void {
    for (const [fd, e] of this.interest) {
      const mask = probe.readiness(fd);
      const arrivals = probe.arrivals(fd);
      e.pending |= mask & ~e.lastMask;
      if (arrivals !== e.lastArrivals && (mask & LINUX.EPOLLIN) !== 0) e.pending |= LINUX.EPOLLIN;
      e.lastMask = mask;
      e.lastArrivals = arrivals;
    }
  }

  add(fd: number, ev: EpollEvent, probe: EpollProbe): void {
    const e = new EpollEntry(ev.events, ev.data);
    e.lastArrivals = probe.arrivals(fd);
    this.interest.set(fd, e);
  }

  /** The events of one `epoll_wait` pass (at most `maxevents`), consuming edge-triggered wakeups. */
  collect(maxevents: number, probe: EpollProbe): EpollEvent[] {
    this.sample(probe);
    const events: EpollEvent[] = [];
    for (const [fd, e] of this.interest) {
      if (events.length >= maxevents) break;
      if (e.disabled) continue;
      const want = e.want;
      const mask = probe.readiness(fd) & want;
      if (mask === 0) continue;
      if (e.edge) {
        if ((e.pending & want) === 0) continue;
        e.pending = 0;
      }
      if ((e.events & LINUX.EPOLLONESHOT) !== 0) e.disabled = true;
      events.push({ events: mask, data: e.data });
    }
    return events;
  }
}
