/** Unit tests run the TypeScript sources; process tests spawn the built dist/ (npm test builds first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    // ESM-only packages: Node 20 require()s them, Jest (before Node 24.9) needs them as CommonJS.
    '/node_modules/thumbhash/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node10' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!thumbhash/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
