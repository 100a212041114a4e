/** Drivers: bind sans-IO endpoints to a virtual clock (`SimDriver`) or to real time (`RealtimeDriver`). */
export type { RealtimeOptions, RealtimeStats } from './realtime.js';
export { RealtimeDriver } from './realtime.js';
export type { TimerDriverOptions, TimerDriverStats } from './timer.js';
export { TimerDriver } from './timer.js';
export type { RunOptions, RunResult, SimStats, StopReason } from './sim.js';
export { SimDriver, SimLivelockError } from './sim.js';
