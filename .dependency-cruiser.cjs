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
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
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
