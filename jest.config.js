/** Tests run through SWC (transpile only): type-checking is `npm run typecheck`. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  coveragePathIgnorePatterns: ["/node_modules/", "/.gen/"],
};
