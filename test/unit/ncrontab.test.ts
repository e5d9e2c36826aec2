// NCRONTAB schedules as the Functions timer trigger reads them, evaluated in UTC.
import { CronParseError, parseNcrontab } from "../../dev/host/ncrontab";

const at = (iso: string): number => Date.parse(iso);
const next = (expression: string, afterIso: string): string | undefined => {
  const found = parseNcrontab(expression).next(at(afterIso));
  return found === undefined ? undefined : new Date(found).toISOString();
};

/** The first `count` occurrences after `afterIso`. */
const series = (expression: string, afterIso: string, count: number): string[] => {
  const schedule = parseNcrontab(expression);
  const found: string[] = [];
  let cursor = at(afterIso);
  while (found.length < count) {
    const following = schedule.next(cursor);
    if (following === undefined) break;
    found.push(new Date(following).toISOString().slice(11, 19));
    cursor = following;
  }
  return found;
};

describe("parseNcrontab", () => {
  it("finds the next occurrence strictly after the given time", () => {
    expect(next("0 */5 * * * *", "2030-01-01T00:00:00Z")).toBe("2030-01-01T00:05:00.000Z");
    expect(next("0 */5 * * * *", "2030-01-01T00:05:00Z")).toBe("2030-01-01T00:10:00.000Z");
    expect(next("0 */5 * * * *", "2030-01-01T00:04:59.500Z")).toBe("2030-01-01T00:05:00.000Z");
    expect(next("0 0 0 * * *", "2030-12-31T23:59:59Z")).toBe("2031-01-01T00:00:00.000Z");
  });

  it("reads steps, ranges and lists in the seconds field", () => {
    expect(series("*/15 * * * * *", "2030-01-01T00:00:00Z", 4)).toEqual([
      "00:00:15",
      "00:00:30",
      "00:00:45",
      "00:01:00",
    ]);
    expect(series("5/20 * * * * *", "2030-01-01T00:00:00Z", 4)).toEqual([
      "00:00:05",
      "00:00:25",
      "00:00:45",
      "00:01:05",
    ]);
    expect(series("1,2,10-12 * * * * *", "2030-01-01T00:00:00Z", 5)).toEqual([
      "00:00:01",
      "00:00:02",
      "00:00:10",
      "00:00:11",
      "00:00:12",
    ]);
  });

  it("reads ranges with steps in the hour field", () => {
    expect(series("0 0 8-14/3 * * *", "2030-01-01T00:00:00Z", 4)).toEqual([
      "08:00:00",
      "11:00:00",
      "14:00:00",
      "08:00:00",
    ]);
  });

  it("takes month and day names, abbreviated or full, in any case", () => {
    expect(next("0 30 9 * * MON-FRI", "2030-01-05T00:00:00Z")).toBe("2030-01-07T09:30:00.000Z");
    expect(next("0 0 0 1 JAN,jul *", "2030-01-02T00:00:00Z")).toBe("2030-07-01T00:00:00.000Z");
    expect(next("0 0 0 * December sunday", "2030-01-01T00:00:00Z")).toBe("2030-12-01T00:00:00.000Z");
    expect(next("0 0 12 * * 0", "2030-01-01T00:00:00Z")).toBe("2030-01-06T12:00:00.000Z");
  });

  it("requires both the day of month and the day of week to match, as NCrontab does", () => {
    expect(next("0 0 0 13 * FRI", "2030-01-01T00:00:00Z")).toBe("2030-09-13T00:00:00.000Z");
    expect(next("0 0 0 13 * FRI", "2030-09-13T00:00:00Z")).toBe("2030-12-13T00:00:00.000Z");
  });

  it("finds rare dates and reports impossible ones as having no occurrence", () => {
    expect(next("0 0 0 29 2 *", "2030-01-01T00:00:00Z")).toBe("2032-02-29T00:00:00.000Z");
    expect(next("0 0 0 31 FEB *", "2030-01-01T00:00:00Z")).toBeUndefined();
  });

  it("accepts five fields as a schedule without seconds", () => {
    expect(series("*/10 * * * *", "2030-01-01T00:00:00Z", 2)).toEqual(["00:10:00", "00:20:00"]);
  });

  it.each([
    ["* * * *", /expected 6 fields/],
    ["* * * * * * *", /expected 6 fields/],
    ["60 * * * * *", /second field "60"/],
    ["* * 24 * * *", /hour field "24"/],
    ["* * * 0 * *", /day field "0"/],
    ["* * * * 13 *", /month field "13"/],
    ["* * * * * 7", /day-of-week field "7"/],
    ["*/0 * * * * *", /bad step "0"/],
    ["5-1 * * * * *", /runs backwards/],
    ["a * * * * *", /bad value "a"/],
    ["* * * * FOO *", /bad value "FOO"/],
    ["1/2/3 * * * * *", /more than one/],
  ])("rejects %s", (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(CronParseError);
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});
