import { describe, expect, it } from "vitest";
import { statesOf } from "../../src/core/machine.js";

/**
 * `statesOf<Column>()` ties a machine's state list to the union its column stores (src/db/schema.ts).
 * The `@ts-expect-error` lines are checked by `npx tsc` (tsconfig includes test/): if a missing or
 * foreign state ever compiled, the directive itself would fail typechecking.
 */
type Column = "a" | "b" | "c";

describe("statesOf: a machine's states are exactly its column's values", () => {
  it("returns the tuple as written, and the compiler refuses a missing or a foreign state", () => {
    expect(statesOf<Column>()(["a", "b", "c"])).toEqual(["a", "b", "c"]);
    // @ts-expect-error "c" is missing: the schema stores a state the machine would not know
    statesOf<Column>()(["a", "b"]);
    // @ts-expect-error "d" is foreign: the machine would move rows into a state the column's CHECK refuses
    statesOf<Column>()(["a", "b", "c", "d"]);
  });
});
