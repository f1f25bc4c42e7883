// Layer rules of docs/architecture.md, enforced: pure layers import nothing from Node, Electron or
// SQLite; Electron only in the shell; the renderer never reaches into main.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeModules = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'worker_threads',
  'zlib',
  'stream',
  'http',
  'url',
  'crypto',
  'util',
  'events',
  'buffer',
];
const pure = {
  patterns: [
    { group: nodeModules, message: 'pure layer: no Node imports (take bytes or strings instead)' },
    {
      group: ['electron', 'sqlite3', 'react', 'd3', 'd3-*'],
      message: 'pure layer: no Electron, SQLite or UI imports',
    },
    {
      group: [
        '**/store/**',
        '**/ingest/**',
        '**/cli/**',
        '**/server/**',
        '**/report/**',
        '**/renderer/**',
        '**/preload/**',
      ],
      message: 'pure layer: no imports from upper layers',
    },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'examples/**', 'test-results/**', 'bench/.data/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: [
      'src/shared/**',
      'src/main/capture/**',
      'src/main/decode/**',
      'src/main/context/**',
      'src/main/analysis/**',
    ],
    rules: { 'no-restricted-imports': ['error', pure] },
  },
  {
    files: ['src/main/**', 'src/preload/**', 'test/**', 'bench/**', 'scripts/**'],
    ignores: ['src/main/index.ts', 'src/main/ipc.ts', 'src/preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Electron only in src/main/index.ts, src/main/ipc.ts and src/preload',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...nodeModules, 'electron', 'sqlite3', '**/main/**', '**/preload/**'],
              message: 'renderer: only src/shared and browser code',
            },
          ],
        },
      ],
    },
  },
);
