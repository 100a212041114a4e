/**
 * The contract between `npm run bench` (src/bench/main.ts) and the benchmark suites. A suite lists
 * cases; each case is one operation measured by the harness. Cases of a suite that name a
 * `baseline` are also reported as a ratio against that case, measured in the same run.
 */
export interface BenchCase {
  /** Short name, unique within the suite, e.g. `checksum 64KiB`. */
  name: string;
  /** The operation measured (one call = one op). */
  fn?: () => void;
  /**
   * An asynchronous operation (one settled promise = one op), for baselines that need the event
   * loop, such as Node `net` over the kernel loopback. Timed one op per sample, not batched.
   */
  fnAsync?: () => Promise<void>;
  /** Runs once before timing (e.g. to open connections); awaited. */
  setup?: () => Promise<void> | void;
  /** Runs once after timing (e.g. to close them). */
  teardown?: () => Promise<void> | void;
  /** Bytes processed per op, when a GB/s figure makes sense. */
  bytes?: number;
  /** Name of another case of this suite to print a speed ratio against (this case's ops/s ÷ baseline's). */
  baseline?: string;
  /** Figures other than time (e.g. bytes of memory), read after the run and reported with the case. */
  metrics?: () => Record<string, number>;
}

export interface BenchSuite {
  name: string;
  cases(): BenchCase[];
}
