import * as bcrypt from "bcryptjs";
import { createHash, createHmac } from "crypto";
import { CREDENTIAL_USER } from "./patterns";

/** Distribution checks the hash on every authenticated request, so the cost is kept at bcrypt's usual 10. */
export const BCRYPT_COST = 10;

/**
 * A bcrypt salt that is the same on every run, so an unchanged `pulumi up` leaves the htpasswd Secret
 * (and the registry pods) alone. It is keyed by a secret seed rather than derived from the password
 * alone: a salt computed quickly from the password would let anyone holding the htpasswd file test
 * guesses at HMAC speed instead of bcrypt speed.
 */
export function deterministicSalt(seed: string, username: string, password: string, cost = BCRYPT_COST): string {
  if (seed.length < 16) throw new Error("htpasswd salt seed must be at least 16 characters");
  const digest = createHmac("sha256", seed).update(`${username}:${password}`).digest();
  return `$2b$${String(cost).padStart(2, "0")}$${bcrypt.encodeBase64(digest.subarray(0, 16), 16)}`;
}

/**
 * Entries already hashed in this process, by a digest of their inputs: bcrypt is slow by design, and a
 * process that runs the program again (an Automation API host, the unit tests) asks for the same entries.
 */
const hashedEntries = new Map<string, string>();

/** One htpasswd line (`user:$2b$...`), as `htpasswd -B` writes it. */
export function htpasswdEntry(username: string, password: string, seed: string, cost = BCRYPT_COST): string {
  if (username.length === 0 || !CREDENTIAL_USER.test(username)) throw new Error("htpasswd user name must be non-empty, without ':' or spaces");
  if (password.length === 0) throw new Error("htpasswd password must not be empty");
  if (bcrypt.truncates(password)) throw new Error("htpasswd password is longer than bcrypt's 72 bytes; the rest would be ignored");
  const key = createHash("sha256").update(JSON.stringify([username, password, seed, cost])).digest("hex");
  let entry = hashedEntries.get(key);
  if (entry === undefined) {
    entry = `${username}:${bcrypt.hashSync(password, deterministicSalt(seed, username, password, cost))}\n`;
    hashedEntries.set(key, entry);
  }
  return entry;
}

/** True when an entry of the htpasswd `file` (for `username`, when given) accepts `password`, as the registry checks it. */
export function htpasswdAccepts(file: string, password: string, username?: string): boolean {
  return file
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .some((line) => {
      const [user, ...rest] = line.trim().split(":");
      const hash = rest.join(":");
      return (username === undefined || user === username) && hash.length > 0 && bcrypt.compareSync(password, hash);
    });
}
