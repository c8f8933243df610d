import { useEffect, useRef, useState } from "preact/hooks";
import type uPlotType from "uplot";

/**
 * Charts with uPlot (a small, canvas-based, well-kept library). uPlot is loaded with import() the
 * first time a chart shows, as its own hashed chunk, so the first screen does not carry it. Canvas
 * is not read by screen readers: each chart is an image with a summary for a label, and the page
 * keeps the table with the same numbers next to it. Charts follow their container's width.
 */

type UPlot = typeof uPlotType;
let loading: Promise<UPlot> | undefined;
const loadUPlot = () => (loading ??= import("uplot").then((m) => m.default));

export interface ChartProps {
  /** The accessible name: what the chart shows, in words. */
  label: string;
  /** Builds uPlot's options and data once the library is here (the width is the container's). */
  make: (u: UPlot, width: number) => { opts: uPlotType.Options; data: uPlotType.AlignedData };
  /** Redraw when this changes. */
  deps: readonly unknown[];
}

export function Chart({ label, make, deps }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let plot: uPlotType | undefined;
    let observer: ResizeObserver | undefined;
    let gone = false;
    loadUPlot()
      .then((U) => {
        if (gone || !box.current) return;
        const width = box.current.clientWidth || 300;
        const { opts, data } = make(U, width);
        plot = new U(opts, data, box.current);
        observer = new ResizeObserver(() => {
          const w = box.current?.clientWidth;
          if (plot && w && Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: plot.height });
        });
        observer.observe(box.current);
      })
      .catch(() => setFailed(true));
    return () => {
      gone = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, deps);
  if (failed) return <p class="hint">The chart could not load; the table below has the same numbers.</p>;
  return <div ref={box} class="uchart" role="img" aria-label={label} />;
}

const GREEN = "#1d6b53";
const AMBER = "#8a5a00";
const AXIS = { stroke: "#4a5a55", grid: { stroke: "#e1ebe7" }, ticks: { stroke: "#e1ebe7" } };

/** Bars over categories (banks, failure reasons): x is the index, its tick the category's name. */
export function categoryBars(U: UPlot, width: number, names: string[], values: number[], series: string, format: (v: number) => string): { opts: uPlotType.Options; data: uPlotType.AlignedData } {
  const short = (s: string) => (s.length > 14 ? `${s.slice(0, 13)}…` : s);
  return {
    opts: {
      width,
      height: 200,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, names.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [
        { ...AXIS, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? short(names[t] ?? "") : "")), size: 40, rotate: 0 } as uPlotType.Axis,
        { ...AXIS, values: (_u, ticks) => ticks.map(format), size: 70 },
      ],
      series: [{}, { label: series, fill: GREEN, stroke: GREEN, paths: U.paths.bars!({ size: [0.6, 60] }), points: { show: false } }],
    },
    data: [names.map((_, i) => i), values],
  };
}

/** By day: succeeded volume as bars (left axis, naira) and the success rate as a line (right axis, %). */
export function dailyVolumeAndRate(
  U: UPlot,
  width: number,
  days: Array<{ day: string; volume: number; success_rate: number | null }>,
  naira: (kobo: number) => string,
): { opts: uPlotType.Options; data: uPlotType.AlignedData } {
  // Days as categories (x = index, its tick the day), so a sparse month reads day by day.
  const xs = days.map((_, i) => i);
  return {
    opts: {
      width,
      height: 220,
      legend: { show: true },
      scales: { x: { time: false, range: [-0.5, days.length - 0.5] }, kobo: { range: (_u, _min, max) => [0, Math.max(100, max) * 1.1] }, rate: { range: [0, 100] } },
      axes: [
        { ...AXIS, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (days[t]?.day.slice(5) ?? "") : "")) },
        { ...AXIS, scale: "kobo", values: (_u, ticks) => ticks.map(naira), size: 80 },
        { ...AXIS, scale: "rate", side: 1, values: (_u, ticks) => ticks.map((t) => `${t}%`), grid: { show: false }, size: 44 },
      ],
      series: [
        { label: "Day", value: (_u, i) => (i == null ? "—" : (days[i]?.day ?? "—")) },
        { label: "Succeeded volume", scale: "kobo", fill: GREEN, stroke: GREEN, paths: U.paths.bars!({ size: [0.7, 40] }), points: { show: false }, value: (_u, v) => (v == null ? "—" : naira(v)) },
        { label: "Success rate", scale: "rate", stroke: AMBER, width: 2, value: (_u, v) => (v == null ? "—" : `${Math.round(v)}%`) },
      ],
    },
    data: [xs, days.map((d) => d.volume), days.map((d) => (d.success_rate === null ? null : d.success_rate * 100))],
  };
}
