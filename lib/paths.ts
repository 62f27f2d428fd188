import * as path from "path";

/** True when `file` is `dir` or lies under it (no `..` out of it), for paths given from outside. */
export function isWithin(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return !rel.startsWith("..") && !path.isAbsolute(rel);
}
