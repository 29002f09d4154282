// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  {
    // Library code logs through pino; only the command line prints.
    files: ['gateway/**/*.ts', 'processors/**/*.ts'],
    rules: { 'no-console': 'error' }
  },
  {
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-properties': ['error',
      { object: 'it', property: 'only' }, { object: 'it', property: 'skip' },
      { object: 'describe', property: 'only' }, { object: 'describe', property: 'skip' },
      { object: 'test', property: 'only' }, { object: 'test', property: 'skip' }] }
  }
)
