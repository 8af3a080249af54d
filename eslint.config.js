// The project's rules, checked by `npm run lint` (part of `npm test`).
// Formatting is Prettier's (.prettierrc.json); this config holds the rules a
// formatter cannot: correctness, and the architecture's dependency rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** An import of `group` from files that must not reach it, with the reason shown to whoever breaks the rule. */
const forbid = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['dist/**', 'public/**', 'bench-results/**', 'node_modules/**', 'dev-dist/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // Unused names are dead code; a leading underscore marks a deliberate discard.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Lit's and WebGPU's types make `!` after a checked lookup common and clear.
      '@typescript-eslint/no-non-null-assertion': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
  {
    // Node scripts in plain JavaScript.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Files a reader can hold: the engine and the app split along seams before they grow past this.
    files: ['src/**/*.ts', 'web/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines': ['error', { max: 600, skipBlankLines: false, skipComments: false }] },
  },
  {
    // Functions a reader can hold, where the engine's mechanisms live.
    files: ['src/gpu/**/*.ts', 'src/engine/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Dependency rules (see docs and DESIGN): model is pure data and arithmetic.
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            forbid(
              ['../cpu/*', '../gpu/*', '../engine/*', '../compress/*', '../worker/*', '../cli/*', '../bench/*', '../store/*', '../data/*', '../peers/*'],
              'src/model imports nothing of the lab: it is pure data and arithmetic',
            ),
          ],
        },
      ],
    },
  },
  {
    // The CPU reference is the oracle of the GPU kernels: it must not share their code.
    files: ['src/cpu/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbid(['../gpu/*', '../engine/*'], 'src/cpu is the oracle of src/gpu and must not share its code')] }],
    },
  },
  {
    // Front ends call the engine; they never import each other.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbid(['**/worker/*', '**/web/*'], 'the CLI is a front end over src/engine; it never imports another front end')] },
      ],
    },
  },
  {
    files: ['src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [forbid(['**/cli/*', '**/web/*'], 'the worker is a front end over src/engine; it never imports another front end')] },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/worker/**', 'src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [forbid(['**/web/*'], 'nothing under src/ imports web/')] }] },
  },
);
