/**
 * The five fields of a Kubernetes CronJob schedule as the CronJob controller reads them (robfig/cron's
 * standard parser): their ranges (day of week is 0-6; 7 is refused), the names each accepts, and whether
 * `?` (any) is allowed.
 */
const FIELDS = [
  { name: "minute", min: 0, max: 59, names: [], any: false },
  { name: "hour", min: 0, max: 23, names: [], any: false },
  { name: "day of month", min: 1, max: 31, names: [], any: true },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], any: false },
  { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], any: true },
] as const;

type Field = (typeof FIELDS)[number];

/** The named schedules the standard parser accepts in place of five fields. */
const DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

function value(text: string, field: Field): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const index = (field.names as readonly string[]).indexOf(text.toLowerCase());
  return index < 0 ? undefined : index + field.min;
}

/** Why one comma-separated part (`*`, `5`, `1-5`, `*\/15`, `0-30/5`) is wrong, or undefined. */
function partProblem(part: string, field: Field): string | undefined {
  const [range, step, ...rest] = part.split("/");
  if (rest.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `"${part}" has a bad step`;
  if (range === "*" || (range === "?" && field.any)) return undefined;
  const bounds = range.split("-");
  if (bounds.length > 2) return `"${part}" is not a value or a range`;
  const numbers = bounds.map((b) => value(b, field));
  if (numbers.some((n) => n === undefined)) return `"${part}" is not a ${field.name} value`;
  if (numbers.some((n) => n! < field.min || n! > field.max)) return `"${part}" is outside ${field.min}-${field.max}`;
  if (numbers.length === 2 && numbers[0]! > numbers[1]!) return `"${part}" runs backwards`;
  return undefined;
}

/** Why `schedule` is not a five-field cron schedule that a CronJob accepts, or undefined when it is. */
export function cronScheduleProblem(schedule: string): string | undefined {
  if (/^\s*(CRON_)?TZ=/.test(schedule)) return "names a time zone (TZ=); the API server refuses it in the schedule, which runs in the controller's time zone";
  if (/^@/.test(schedule.trim())) return DESCRIPTORS.includes(schedule.trim()) ? undefined : `is not one of the descriptors ${DESCRIPTORS.join(", ")}`;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return `has ${fields.length} field(s), not 5`;
  for (const [i, text] of fields.entries()) {
    for (const part of text.split(",")) {
      const problem = partProblem(part, FIELDS[i]);
      if (problem) return `${FIELDS[i].name} ${problem}`;
    }
  }
  return undefined;
}
