/** Result records of drill runs and their writers (TAP, JUnit, JSON, text) and progress bar. */
export * from './progress.js';
export * from './records.js';
