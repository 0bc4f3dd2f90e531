/** Tests run through SWC (transpile only): type-checking is `npm run typecheck`. */
module.exports = {
  testEnvironment: "node",
  // Jest defaults to cores − 1 workers: one on a 2-core machine. Most test files are module
  // loading (cdktf, providers), which two workers overlap: about 31 s -> 26 s here.
  maxWorkers: 2,
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/support/token-stack-traces.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  coveragePathIgnorePatterns: ["/node_modules/", "/.gen/"],
};
