// Lint config: typescript-eslint strictTypeChecked over src/, test/ and bench/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The floors of src/, bottom first: a file may import only from floors below its own (and its own folder).
// `node --import tsx tools/import-arrows.ts` prints the arrows this keeps pointing down.
const FLOORS = [
  ['errors', 'log'],
  ['lib', 'model'],
  ['config', 'store'],
  ['detect', 'metrics', 'dnstap', 'identity'],
  ['policy', 'events', 'egress'],
  ['dns'],
  ['pcap', 'server', 'report'],
  ['cli'],
  ['main'],
];
const rootFiles = new Set(['errors', 'main', 'server']);
const importPattern = (part) => (rootFiles.has(part) ? `**/${part}.js` : `**/${part}/**`);
const layerBlocks = FLOORS.slice(0, -1).flatMap((floor, level) =>
  floor.map((part) => {
    const above = FLOORS.slice(level)
      .flat()
      .filter((other) => other !== part);
    return {
      files: [rootFiles.has(part) ? `src/${part}.ts` : `src/${part}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: above.map(importPattern),
                message: `src/${part} may import only from the floors below it (eslint.config.js FLOORS)`,
              },
            ],
          },
        ],
      },
    };
  }),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      'no-bitwise': 'off',
    },
  },
  ...layerBlocks,
  {
    // node:test's describe/it return promises the runner awaits itself
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
