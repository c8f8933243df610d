/**
 * Tenancy, in the kernel: every domain's data is sliced by company and environment, and a
 * sandbox key never touches production data.
 */

/** The two environments a company's keys and data live in. */
export type Env = "sandbox" | "production";

/** One tenant's slice of the data: a company in one environment. */
export interface Scope {
  companyId: string;
  env: Env;
}
