/**
 * Double of the random provider for the two resources the program uses. Like the real one (a bridged
 * Terraform provider): every input forces a replacement; RandomPassword's `result` and `bcryptHash` are
 * secret and its id is "none"; RandomString's `result` is plain and is also its id, which is why the
 * program must never keep a credential in a RandomString.
 */
import * as bcrypt from "bcryptjs";
import { randomInt } from "crypto";
import { changedKeys, Props, reveal, sdkVersion, secret, serve, typeOf } from "./wire";

const INPUTS = ["length", "special", "upper", "lower", "numeric", "number", "minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial", "keepers"];

const withDefaults = (inputs: Props): Props => ({
  special: true,
  upper: true,
  lower: true,
  numeric: true,
  minLower: 0,
  minUpper: 0,
  minNumeric: 0,
  minSpecial: 0,
  ...reveal(inputs),
});

function generate(p: Props): string {
  const sets = [
    [p.upper, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", p.minUpper],
    [p.lower, "abcdefghijklmnopqrstuvwxyz", p.minLower],
    [p.numeric, "0123456789", p.minNumeric],
    [p.special, p.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?", p.minSpecial],
  ] as const;
  const chosen: string[] = [];
  let all = "";
  for (const [on, chars, min] of sets) {
    if (!on) continue;
    all += chars;
    for (let i = 0; i < min; i++) chosen.push(chars[randomInt(chars.length)]);
  }
  if (!all) throw new Error("at least one of upper, lower, numeric and special must be true");
  while (chosen.length < p.length) chosen.push(all[randomInt(all.length)]);
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chosen[i], chosen[j]] = [chosen[j], chosen[i]];
  }
  return chosen.join("");
}

serve({
  version: sdkVersion("random"),
  async diff(_id, _urn, olds, news) {
    const replaces = changedKeys(olds, withDefaults(news), INPUTS);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(urn, inputs) {
    const props = withDefaults(inputs);
    const result = generate(props);
    if (typeOf(urn) === "random:index/randomString:RandomString") return { id: result, outs: { ...props, result } };
    const bcryptHash = bcrypt.hashSync(result, 10);
    return { id: "none", outs: { ...props, result: secret(result), bcryptHash: secret(bcryptHash) } };
  },
});
