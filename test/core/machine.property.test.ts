import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineMachine, IllegalTransitionError, MachineDefinitionError } from "../../src/core/machine.js";

/** A random declaration: n states, random edges (no self-loops), terminal = the states left without exits. */
const spec = fc
  .integer({ min: 1, max: 8 })
  .chain((n) => {
    const states = Array.from({ length: n }, (_, i) => `s${i}`);
    return fc.record({
      states: fc.constant(states),
      edges: fc.tuple(...states.map((s) => fc.subarray(states.filter((t) => t !== s)))),
      predicate: fc.subarray(states),
    });
  })
  .map(({ states, edges, predicate }) => {
    const map = Object.fromEntries(states.map((s, i) => [s, edges[i] ?? []])) as Record<string, string[]>;
    return { states, edges: map, terminal: states.filter((s) => map[s]!.length === 0), predicate };
  });

describe("defineMachine (pure part)", () => {
  it("random walks only ever take declared edges, and stop only in terminal states", () => {
    fc.assert(
      fc.property(spec, fc.array(fc.nat(), { maxLength: 40 }), fc.nat(), (d, choices, start) => {
        const m = defineMachine({ object: "thing", states: d.states, edges: d.edges, terminal: d.terminal });
        let s = d.states[start % d.states.length]!;
        for (const c of choices) {
          const next = m.next(s);
          if (next.length === 0) {
            expect(m.isTerminal(s)).toBe(true);
            break;
          }
          const to = next[c % next.length]!;
          expect(d.edges[s]).toContain(to);
          expect(m.can(s, to)).toBe(true);
          s = to;
        }
      }),
    );
  });

  it("gives terminal states no exits: can() is false from them to every state", () => {
    fc.assert(
      fc.property(spec, (d) => {
        const m = defineMachine({ object: "thing", states: d.states, edges: d.edges, terminal: d.terminal });
        for (const t of m.terminal) {
          expect(m.next(t)).toEqual([]);
          for (const to of d.states) expect(m.can(t, to)).toBe(false);
        }
      }),
    );
  });

  it("assert agrees with can on every pair, and its error names the object, from and to", () => {
    fc.assert(
      fc.property(spec, (d) => {
        const m = defineMachine({ object: "widget thing", states: d.states, edges: d.edges, terminal: d.terminal });
        for (const from of d.states) {
          for (const to of d.states) {
            if (m.can(from, to)) {
              expect(() => m.assert(from, to)).not.toThrow();
              continue;
            }
            let caught: unknown;
            try {
              m.assert(from, to);
            } catch (e) {
              caught = e;
            }
            expect(caught).toBeInstanceOf(IllegalTransitionError);
            const err = caught as IllegalTransitionError;
            expect([err.object, err.from, err.to]).toEqual(["widget thing", from, to]);
            expect(err.message).toContain(`widget thing cannot move from ${from} to ${to}`);
          }
        }
      }),
    );
  });

  it("turns a declared set of states into a predicate that holds for exactly those states", () => {
    fc.assert(
      fc.property(spec, (d) => {
        const m = defineMachine({ object: "thing", states: d.states, edges: d.edges, terminal: d.terminal, predicates: { chosen: d.predicate } });
        for (const s of d.states) expect(m.is.chosen(s)).toBe(d.predicate.includes(s));
      }),
    );
  });

  it("refuses a declaration whose terminal list disagrees with its edges", () => {
    fc.assert(
      fc.property(spec, fc.nat(), (d, pick) => {
        const s = d.states[pick % d.states.length]!;
        // Flip one state's terminal flag: either a terminal with exits or an exitless non-terminal.
        const terminal = d.terminal.includes(s) ? d.terminal.filter((t) => t !== s) : [...d.terminal, s];
        expect(() => defineMachine({ object: "thing", states: d.states, edges: d.edges, terminal })).toThrow(MachineDefinitionError);
      }),
    );
  });

  it("refuses self-loops, edges to undeclared states, and names of undeclared edges", () => {
    expect(() => defineMachine({ object: "t", states: ["a", "b"], edges: { a: ["a", "b"], b: [] }, terminal: ["b"] })).toThrow(/self-loop on a/);
    expect(() => defineMachine({ object: "t", states: ["a", "b"], edges: { a: ["c" as "b"], b: [] }, terminal: ["b"] })).toThrow(/c is not a declared state/);
    expect(() => defineMachine({ object: "t", states: ["a", "b"], edges: { a: ["b"], b: [] }, terminal: ["b"], edgeNames: { b: { a: "back" } } })).toThrow(/undeclared edge b → a/);
  });
});
