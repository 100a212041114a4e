// Lint configuration (ESLint + typescript-eslint; pure JavaScript, no platform binaries).
// src/core is sans-IO and platform-free: the override below bans platform globals there, and
// .dependency-cruiser.cjs bans platform imports; `npm test` runs both.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const coreGlobals = [
  ['Date', 'core is sans-IO: take time as an Instant argument'],
  ['setTimeout', 'core has deadlines, not timers'],
  ['setInterval', 'core has deadlines, not timers'],
  ['setImmediate', 'core has deadlines, not timers'],
  ['clearTimeout', 'core has deadlines, not timers'],
  ['clearInterval', 'core has deadlines, not timers'],
  ['queueMicrotask', 'core is synchronous'],
  ['performance', 'core is sans-IO: take time as an Instant argument'],
  ['process', 'core is platform-free'],
  ['Buffer', 'core uses Uint8Array; Buffer is Node-only'],
  ['require', 'core is ESM and platform-free'],
  ['crypto', 'randomness is injected through core/rand'],
].map(([name, message]) => ({ name, message }));

export default tseslint.config(
  { ignores: ['dist/**', '.build/**', 'node_modules/**'] },
  // The CLI entry point has no extension; lint it as an ES module.
  { files: ['bin/wirestack'], languageOptions: { sourceType: 'module' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { '@stylistic': stylistic },
    rules: {
      // Formatting: the house style, checked so it cannot drift.
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/max-len': ['error', { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/object-curly-spacing': ['error', 'always'],
      '@stylistic/arrow-parens': ['error', 'always'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-globals': ['error', ...coreGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'randomness is injected through core/rand (Rng)' },
      ],
    },
  },
);
