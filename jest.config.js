/**
 * unit: no services, runs anywhere. integration: real Docker Engine, Distribution registry, moto and
 * skopeo on 127.0.0.1, prepared by scripts/test-env/setup.sh (the suites fail, never skip, without it).
 */
const base = { preset: "ts-jest", testEnvironment: "node" };

module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...base, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.int.test.ts"], slowTestThreshold: 60 },
  ],
  testTimeout: 120000,
};
