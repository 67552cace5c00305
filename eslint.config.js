// Typed lint: the rules that catch what the compiler cannot (floating promises above all).
import tseslint from 'typescript-eslint';

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
  // Benchmarks and test tools print their results.
  { files: ['**/bench/**/*.ts', 'scripts/**/*.ts'], rules: { 'no-console': 'off' } },
);
