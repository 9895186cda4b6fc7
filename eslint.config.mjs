// @ts-check
import eslint from '@eslint/js';
import prettierConfig from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** I/O modules an orchestrator must never import: replay would repeat their side effects. */
const ioModules = [
    'node:*',
    'fs',
    'http',
    'https',
    'net',
    'crypto',
    'child_process',
    '@azure/identity',
    '@azure/keyvault-*',
    '@azure/eventgrid',
    '@azure/msal-node',
    '@microsoft/*',
    '**/adapters/**',
    '**/config/**',
    '**/composition*',
];

export default tseslint.config(
    { ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.state/**', 'test-results/**'] },
    eslint.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: {
                projectService: { allowDefaultProject: ['*.config.mts', 'scripts/*.ts'] },
                tsconfigRootDir: import.meta.dirname,
            },
        },
        rules: {
            eqeqeq: 'error',
            'no-console': 'error',
            '@typescript-eslint/no-explicit-any': 'error',
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
            '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
            '@typescript-eslint/return-await': ['error', 'in-try-catch'],
        },
    },
    {
        // Configuration is read in exactly one place so every setting is validated by one schema.
        files: ['functions/**/*.ts', 'shared/**/*.ts'],
        ignores: ['shared/config/**'],
        rules: {
            'no-restricted-properties': [
                'error',
                { object: 'process', property: 'env', message: 'Read settings through shared/config (one schema).' },
            ],
        },
    },
    {
        // Orchestrators replay: anything non-deterministic breaks the Durable replay contract.
        files: ['shared/workflows/**/*.ts'],
        rules: {
            'no-restricted-properties': [
                'error',
                { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
                { object: 'Math', property: 'random', message: 'Non-deterministic: use context.df.newGuid.' },
                { object: 'process', property: 'env', message: 'Orchestrators must not read the environment.' },
                { object: 'crypto', property: 'randomUUID', message: 'Non-deterministic: use context.df.newGuid.' },
            ],
            'no-restricted-globals': [
                'error',
                {
                    name: 'Date',
                    message: 'Use context.df.currentUtcDateTime (Date values may be passed in, not made).',
                },
                { name: 'setTimeout', message: 'Use context.df.createTimer.' },
                { name: 'setInterval', message: 'Use context.df.createTimer.' },
                { name: 'setImmediate', message: 'Orchestrators must not schedule work.' },
                { name: 'fetch', message: 'No I/O in orchestrators: call an activity.' },
                { name: 'process', message: 'Orchestrators must not read the process state.' },
                { name: 'performance', message: 'Non-deterministic clock.' },
            ],
            'no-restricted-syntax': [
                'error',
                { selector: 'AwaitExpression', message: 'Orchestrators yield tasks; they never await.' },
                { selector: "NewExpression[callee.name='Date']", message: 'Use context.df.currentUtcDateTime.' },
            ],
            '@typescript-eslint/no-restricted-imports': [
                'error',
                { patterns: [{ group: ioModules, message: 'No I/O in orchestrators: call an activity instead.' }] },
            ],
        },
    },
    {
        files: ['test/**/*.ts', 'scripts/**/*.{ts,mjs,cjs}', '*.config.{mts,mjs}'],
        rules: {
            'no-console': 'off',
            '@typescript-eslint/no-unsafe-assignment': 'off',
            '@typescript-eslint/no-unsafe-member-access': 'off',
            '@typescript-eslint/no-unsafe-call': 'off',
            '@typescript-eslint/no-unsafe-argument': 'off',
            '@typescript-eslint/no-unsafe-return': 'off',
            '@typescript-eslint/unbound-method': 'off',
        },
    },
    {
        files: ['**/*.cjs'],
        rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
    {
        files: ['**/*.{js,cjs,mjs}'],
        ...tseslint.configs.disableTypeChecked,
        languageOptions: {
            ...tseslint.configs.disableTypeChecked.languageOptions,
            sourceType: 'commonjs',
            globals: {
                require: 'readonly',
                module: 'writable',
                process: 'readonly',
                console: 'readonly',
                __dirname: 'readonly',
                setInterval: 'readonly',
                clearInterval: 'readonly',
            },
        },
    },
    prettierConfig,
);
