/**
 * Nigerian federal public holidays, 2026–2027 (Lagos calendar days): the days besides Saturday and
 * Sunday on which a scheduled charge is not taken (decision 0027; schedule.ts `chargeDate`). A
 * holiday falling on a weekend is listed on the weekday the Federal Government moves it to. The
 * Islamic holidays (Eid-el-Fitr, Eid-el-Kabir, Eid-el-Maulud) follow the moon: these are the
 * expected dates; correct them here when the government announces the exact days, and add each
 * new year before it starts. A data file, not code: nothing else changes when it is edited.
 */
export const NIGERIAN_PUBLIC_HOLIDAYS: readonly { date: string; name: string }[] = [
  { date: "2026-01-01", name: "New Year's Day" },
  { date: "2026-03-20", name: "Eid-el-Fitr" },
  { date: "2026-03-23", name: "Eid-el-Fitr holiday" },
  { date: "2026-04-03", name: "Good Friday" },
  { date: "2026-04-06", name: "Easter Monday" },
  { date: "2026-05-01", name: "Workers' Day" },
  { date: "2026-05-27", name: "Eid-el-Kabir" },
  { date: "2026-05-28", name: "Eid-el-Kabir holiday" },
  { date: "2026-06-12", name: "Democracy Day" },
  { date: "2026-08-26", name: "Eid-el-Maulud" },
  { date: "2026-10-01", name: "Independence Day" },
  { date: "2026-12-25", name: "Christmas Day" },
  { date: "2026-12-28", name: "Boxing Day (observed)" },
  { date: "2027-01-01", name: "New Year's Day" },
  { date: "2027-03-10", name: "Eid-el-Fitr" },
  { date: "2027-03-11", name: "Eid-el-Fitr holiday" },
  { date: "2027-03-26", name: "Good Friday" },
  { date: "2027-03-29", name: "Easter Monday" },
  { date: "2027-05-03", name: "Workers' Day (observed)" },
  { date: "2027-05-17", name: "Eid-el-Kabir" },
  { date: "2027-05-18", name: "Eid-el-Kabir holiday" },
  { date: "2027-06-14", name: "Democracy Day (observed)" },
  { date: "2027-08-16", name: "Eid-el-Maulud (observed)" },
  { date: "2027-10-01", name: "Independence Day" },
  { date: "2027-12-27", name: "Christmas Day (observed)" },
  { date: "2027-12-28", name: "Boxing Day (observed)" },
];

/** The holiday dates as a set, what the schedule functions take by default. */
export const NG_HOLIDAYS: ReadonlySet<string> = new Set(NIGERIAN_PUBLIC_HOLIDAYS.map((h) => h.date));
