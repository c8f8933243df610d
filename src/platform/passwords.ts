import { hash, verify } from "@node-rs/argon2";
import { randomToken } from "../lib/secrets.js";

/**
 * Password hashing: argon2id with @node-rs/argon2's defaults (m = 19 MiB, t = 2, p = 1: OWASP's
 * recommended minimum), as a PHC string that carries its own parameters and salt, so the
 * parameters can be raised later without invalidating stored hashes.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    // A malformed stored hash is a wrong password, not a 500.
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random, forgotten password with the same parameters as real ones. A login for an
 * unknown email is verified against it, so answering takes as long as for a known email with a
 * wrong password and the response time does not tell which emails have accounts.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomToken(32)).catch((error: unknown) => {
    dummy = undefined; // try again next time rather than fail every later login
    throw error;
  });
  return dummy;
}
