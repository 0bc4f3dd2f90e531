/** Tests run through SWC (transpile only): type-checking is `npm run typecheck`. */
module.exports = {
  testEnvironment: "node",
  // Jest defaults to cores − 1 workers: one on a 2-core machine. Most test files are module
  // loading (cdktf, providers), which two workers overlap: about 31 s -> 26 s here.
  maxWorkers: 2,
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  setupFilesAfterEnv: [
    "<rootDir>/__tests__/support/token-stack-traces.ts",
    // `npm run test:unasserted` only: record which synthesized values the tests read.
    ...(process.env.HOMELAB_RECORD_READS ? ["<rootDir>/__tests__/support/record-reads.setup.ts"] : []),
    // `npm run test:unasserted -- --mutate` only: snapshots pass, the targeted assertions must catch.
    ...(process.env.HOMELAB_SNAPSHOTS_OFF ? ["<rootDir>/__tests__/support/snapshots-off.setup.ts"] : []),
  ],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  coveragePathIgnorePatterns: ["/node_modules/", "/.gen/"],
};
