/** Unit tests need no services; integration tests (added later) need the loopback test environment. */
const base = { preset: "ts-jest", testEnvironment: "node" };

module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
  ],
};
