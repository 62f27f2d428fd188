import { deterministicSalt, htpasswdAccepts, htpasswdEntry } from "../../lib/htpasswd";

const seed = "0123456789abcdef0123456789abcdef";

describe("htpasswdEntry", () => {
  test("is a bcrypt line that the password opens and another does not", () => {
    const line = htpasswdEntry("pipeline", "s3cret-Passw0rd", seed);
    expect(line).toMatch(/^pipeline:\$2b\$10\$[./A-Za-z0-9]{53}\n$/);
    expect(htpasswdAccepts(line, "s3cret-Passw0rd")).toBe(true);
    expect(htpasswdAccepts(line, "s3cret-Passw0rd!")).toBe(false);
  });

  test("is identical on every run for the same inputs", () => {
    expect(htpasswdEntry("pipeline", "pw-one", seed)).toBe(htpasswdEntry("pipeline", "pw-one", seed));
  });

  test("changes with the password, the user and the seed", () => {
    const base = htpasswdEntry("pipeline", "pw-one", seed);
    expect(htpasswdEntry("pipeline", "pw-two", seed)).not.toBe(base);
    expect(htpasswdEntry("other", "pw-one", seed).split(":")[1]).not.toBe(base.split(":")[1]);
    expect(htpasswdEntry("pipeline", "pw-one", `${seed}x`)).not.toBe(base);
  });

  test("the salt is bcrypt-shaped and depends on the seed, not on the password alone", () => {
    expect(deterministicSalt(seed, "u", "p")).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{22}$/);
    expect(deterministicSalt(seed, "u", "p")).not.toBe(deterministicSalt(`${seed}-other`, "u", "p"));
  });

  test.each([
    ["a user with ':'", "a:b", "pw", "user name"],
    ["an empty user", "", "pw", "user name"],
    ["an empty password", "u", "", "must not be empty"],
    ["a password past bcrypt's 72 bytes", "u", "x".repeat(73), "72 bytes"],
  ])("refuses %s", (_what, user, password, message) => {
    expect(() => htpasswdEntry(user, password, seed)).toThrow(message);
  });

  test("refuses a short seed", () => {
    expect(() => htpasswdEntry("u", "pw", "short")).toThrow("at least 16");
  });
});
