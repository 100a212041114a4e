/**
 * What sockets and servers need from the stack that owns them: the socket layer, a way to let the
 * driver run after a call (transmit what the call queued), and readiness callbacks. `NetStack`
 * implements it; the interface keeps `Socket` and `Server` free of a reference back to it.
 */
import type { SocketApi } from '../../core/socket/api.js';

export interface ReadyWatcher {
  /** Called after the stack did work (input, timers): check `eventsOf(fd)` and act. */
  onReady(): void;
}

export interface NetHost {
  readonly api: SocketApi;
  /** Run the driver now: a socket call queued work (a SYN, data, a FIN, a window update). */
  kick(): void;
  watch(w: ReadyWatcher): void;
  unwatch(w: ReadyWatcher): void;
}
