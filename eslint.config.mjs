import eslint from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * DESIGN.md's module graph: what each feature folder under src/ may import besides itself.
 * common <- users <- keys <- credits; catalog <- routing <- gateway; catalog <- providers <- gateway;
 * usage depends on common, users and keys; credits records the generations its sweeper settles (usage);
 * oauth and web depend on the services they show, never on each
 * other; nothing imports gateway or web (only the composition root, src/*.ts, which is no module).
 */
const MODULE_GRAPH = {
  common: [],
  users: ['common'],
  keys: ['common', 'users'],
  credits: ['common', 'users', 'keys', 'usage'],
  catalog: ['common'],
  routing: ['common', 'catalog'],
  providers: ['common', 'catalog'],
  usage: ['common', 'users', 'keys'],
  oauth: ['common', 'users', 'keys', 'credits'],
  web: ['common', 'users', 'keys', 'credits', 'catalog', 'usage'],
  gateway: ['common', 'users', 'keys', 'credits', 'catalog', 'routing', 'providers', 'usage'],
};

/** The boundaries rule for the graph: a folder may import itself and what MODULE_GRAPH lists for it. */
const moduleGraphRule = () => [
  'error',
  {
    default: 'disallow',
    policies: Object.entries(MODULE_GRAPH).map(([from, to]) => ({
      from: { element: { type: from } },
      allow: [{ to: { element: { type: [from, ...to] } } }],
    })),
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-console': 'error',
    },
  },
  { files: ['test/**', 'bench/**', '**/*.spec.ts'], rules: { 'no-console': 'off' } },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'boundaries/elements': Object.keys(MODULE_GRAPH).map((m) => ({ type: m, pattern: `src/${m}` })),
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'boundaries/legacy-warnings': false,
    },
    rules: { 'boundaries/dependencies': moduleGraphRule() },
  },
  {
    // Routing owns routing: the gateway plans and reports through RouterService only.
    files: ['src/gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/routing/endpoint-health.service', '**/routing/sticky-sessions.service'],
              message: 'The gateway plans and reports through RouterService.',
            },
          ],
        },
      ],
    },
  },
  {
    // One request's state travels as one object, not as a long list of positional arguments.
    files: ['src/**/*.ts'],
    rules: { 'max-params': ['error', 5] },
  },
  // The console's one browser script.
  {
    files: ['src/common/html/static/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', window: 'readonly', navigator: 'readonly' } },
  },
);
