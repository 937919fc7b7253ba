import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const OUTBOUND = 'Outbound network calls go only through the transfer gateway (src/modules/transfer, TransferService.send), which fails closed without a transfer basis and separate consent (L1).';
const OUTBOUND_GLOBALS = ['fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource'];
/** Modules whose clients open connections (a dynamic import or require of them is refused as a whole). */
const OUTBOUND_MODULES = '/^(node:)?(http|https|http2|net|tls|dgram)$|^(undici|ws|node-fetch|axios|got|cross-fetch|superagent)$/';
const clientParts = (names, importNames) =>
  names.flatMap((name) => [name, `node:${name}`]).map((name) => ({ name, importNames, allowTypeImports: true, message: OUTBOUND }));
const OUTBOUND_IMPORTS = [
  // Server parts (createServer, IncomingMessage …) stay allowed; the client parts and the default export do not.
  ...clientParts(['http', 'https'], ['default', 'request', 'get', 'Agent', 'globalAgent', 'ClientRequest']),
  ...clientParts(['http2'], ['default', 'connect']),
  ...clientParts(['net'], ['default', 'connect', 'createConnection', 'Socket']),
  ...clientParts(['tls'], ['default', 'connect']),
  ...clientParts(['dgram'], ['default', 'createSocket']),
  // ws: WebSocketServer is a server; its client is not.
  { name: 'ws', importNames: ['default', 'WebSocket', 'createWebSocketStream'], allowTypeImports: true, message: OUTBOUND },
  ...['undici', 'node-fetch', 'axios', 'got', 'cross-fetch', 'superagent'].map((name) => ({ name, allowTypeImports: true, message: OUTBOUND })),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Only config/ reads the environment (STYLE.md).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through src/config only.' }],
    },
  },
  { files: ['src/config/**', 'test/**', 'bench/**', 'vitest.config.ts', 'eslint.config.js'], rules: { 'no-restricted-properties': 'off' } },
  { files: ['web/**'], languageOptions: { globals: { ...globals.browser } } },
  // L1: personal data leaves only through the transfer gateway, which checks the transfer basis and
  // separate consent first. Nothing else in src/ may open an outbound connection; servers (Fastify,
  // WebSocketServer) and type-only imports stay allowed. Tests and bench are outside src/ rules.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/modules/transfer/adapters/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error', ...OUTBOUND_GLOBALS.map((name) => ({ name, message: OUTBOUND }))],
      'no-restricted-syntax': [
        'error',
        { selector: `MemberExpression[object.name=/^(globalThis|global|self|window)$/][property.name=/^(${OUTBOUND_GLOBALS.join('|')})$/]`, message: OUTBOUND },
        { selector: `ImportExpression[source.value=${OUTBOUND_MODULES}]`, message: OUTBOUND },
        { selector: `CallExpression[callee.name='require'][arguments.0.value=${OUTBOUND_MODULES}]`, message: OUTBOUND },
      ],
      '@typescript-eslint/no-restricted-imports': ['error', { paths: OUTBOUND_IMPORTS }],
    },
  },
);
