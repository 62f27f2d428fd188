/**
 * unit: no services, runs anywhere. integration: real Docker Engine, Distribution registry, moto and
 * skopeo on 127.0.0.1, prepared by scripts/test-env/setup.sh (the suites fail, never skip, without it).
 * e2e: the program under the real Pulumi engine against a real control plane on loopback (test/e2e).
 */
// Jest only transpiles (isolatedModules): the type check is `tsc --noEmit -p .`, which scripts/test.sh runs
// before every layer, so checking each file again in every worker only cost time.
const base = {
  testEnvironment: "node",
  transform: { "^.+\\.tsx?$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }] },
};

module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...base, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.int.test.ts"], slowTestThreshold: 60 },
    { ...base, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.e2e.test.ts"], slowTestThreshold: 600 },
  ],
  testTimeout: 120000,
};
