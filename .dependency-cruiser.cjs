/**
 * Dependency direction (see README "Architecture"): src/core is sans-IO and platform-free, and
 * layers only import downward. `npm test` runs this check.
 */
const UPPER = '^src/(api|adapters|cli|drill|driver|gateway|bench)/';
module.exports = {
  forbidden: [
    {
      name: 'core-no-platform',
      severity: 'error',
      comment: 'src/core must not import Node built-ins (node:*), nor any npm package',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'unknown'],
      },
    },
    {
      name: 'core-no-upper-layer',
      severity: 'error',
      comment: 'src/core must not import an upper layer',
      from: { path: '^src/core/' },
      to: { path: UPPER },
    },
    {
      name: 'driver-below-apis',
      severity: 'error',
      comment: 'the driver sits under the APIs, the runner, the gateway and the CLI',
      from: { path: '^src/driver/' },
      to: { path: '^src/(api|drill|gateway|cli|bench)/' },
    },
    {
      name: 'adapters-below-apis',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(api|drill|gateway|cli|bench)/' },
    },
    {
      name: 'api-below-tools',
      severity: 'error',
      comment: 'the APIs use core and the driver, never the runner, the CLI or the benchmarks',
      from: { path: '^src/api/' },
      to: { path: '^src/(cli|drill|bench)/' },
    },
    {
      name: 'web-api-no-platform',
      severity: 'error',
      comment: 'src/api/web runs in browsers: no Node built-ins (node:*), nor any npm package',
      from: { path: '^src/api/web/' },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'unknown'],
      },
    },
    {
      name: 'web-api-no-node-layers',
      severity: 'error',
      comment: 'src/api/web must not reach the Node adapters, the Node realtime driver or the Node API',
      from: { path: '^src/api/web/' },
      to: { path: '^src/(adapters/|driver/realtime[.]ts$|api/net/)', reachable: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      // A cycle closed only by a type import (e.g. a pluggable piece naming the TCB it works on) is
      // erased at compile time and cannot change evaluation order.
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
