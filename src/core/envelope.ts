import { z } from "zod";
import type { ErrorCode } from "./errors.js";

/** Okra's success envelope: `{status: "success", message, data}`. */
export function ok<T>(message: string, data: T) {
  return { status: "success" as const, message, data };
}

export interface ErrorBody {
  status: "error";
  error: ErrorCode;
  message: string;
  data: Record<string, unknown>;
}

export function errorBody(code: ErrorCode, message: string, data: Record<string, unknown> = {}): ErrorBody {
  return { status: "error", error: code, message, data };
}

/** zod schema of the success envelope around `data`, for route response schemas (OpenAPI). */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ status: z.literal("success"), message: z.string(), data });
}

export const ErrorEnvelope = z
  .object({
    status: z.literal("error"),
    error: z.string().meta({ description: "One of the closed list of error codes (see the API description)." }),
    message: z.string().meta({ description: "Human-readable; names the offending field when there is one." }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "Error" });
