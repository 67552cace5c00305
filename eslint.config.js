// Typed lint: the rules that catch what the compiler cannot (floating promises above all).
import tseslint from 'typescript-eslint';

const TIMERS_IN_TESTS =
  'tests wait with waitFor, waitForEvent, withTimeout or holdsFor (and pace with sendPaced, repeatEvery, schedule) from test/support/wait-for.ts; a wait that cannot be an event says why in an eslint-disable comment';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.tmp/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      // The house keeps private state in `#` fields, which the runtime enforces; TypeScript's `private`
      // is erased at build time. A private constructor has no `#` form, so it stays allowed.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            ":matches(PropertyDefinition, MethodDefinition[kind!='constructor'], TSParameterProperty)[accessibility='private']",
          message: 'Use a # private field or method instead of TypeScript `private`.',
        },
      ],
    },
  },
  // Tests await events or conditions, never a fixed time: every timer goes through the one helper
  // module, which bounds each wait and names what it waited for.
  {
    files: [
      'packages/*/test/**/*.ts',
      'test/**/*.ts',
      'test-calls/src/**/*.ts',
      'test-calls/test/**/*.ts',
      'test-calls/slow/**/*.ts',
    ],
    ignores: ['test/support/wait-for.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval'].map((name) => ({ name, message: TIMERS_IN_TESTS })),
      ],
      'no-restricted-properties': [
        'error',
        ...['setTimeout', 'setInterval'].map((property) => ({
          object: 'globalThis',
          property,
          message: TIMERS_IN_TESTS,
        })),
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['timers', 'node:timers', 'timers/promises', 'node:timers/promises'].map((name) => ({
            name,
            message: TIMERS_IN_TESTS,
          })),
        },
      ],
    },
  },
  // Benchmarks and test tools print their results.
  { files: ['**/bench/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-console': 'off' } },
);
