// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.generated.ts', 'bench/results/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            'eslint.config.js',
            'packages/*/bin/*.js',
            'scripts/*.mjs',
            'packages/*/scripts/*.mjs',
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O. Every file
    // the workflow bundle contains (test/worker/workflow-bundle-lint.test.ts checks the list).
    files: [
      'packages/cascade/src/workflows/**/*.ts',
      'packages/cascade/src/estate/**/*.ts',
      'packages/cascade/src/graph/**/*.ts',
      'packages/cascade/src/coordinator-contract.ts',
      'packages/cascade/src/constants.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflow code must not use Node built-ins (not deterministic).' },
            {
              group: [
                'fs',
                'path',
                'os',
                'crypto',
                'http',
                'https',
                'net',
                'child_process',
                'process',
                'timers',
              ],
              message: 'Workflow code must not use Node built-ins (not deterministic).',
            },
            {
              group: ['**/activities/*', '!**/activities/types*'],
              message: 'Import only activity types into workflows.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The dashboard's page: plain browser ES modules (JSDoc-typed, no build step), outside any tsconfig.
    files: ['packages/cascade/dashboard/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { program: null, project: false, projectService: false },
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'fetch',
          'performance',
          'requestAnimationFrame',
          'setTimeout',
          'sessionStorage',
          'getComputedStyle',
        ].map((name) => [name, 'readonly']),
      ),
      sourceType: 'module',
    },
  },
);
