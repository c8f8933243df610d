/**
 * Theme from the merchant's brand colour, keeping WCAG contrast whatever colour they chose:
 * text on a brand-coloured button is whichever of near-black or white contrasts more, and
 * brand-coloured text/focus rings on white are darkened until they reach 4.5:1.
 */

const DEFAULT_BRAND = "#3ab795";
const DARK_TEXT = "#111418";

type Rgb = [number, number, number];

export function parseHex(color: string): Rgb | null {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return null;
  let hex = m[1]!;
  if (hex.length === 3) hex = hex.replace(/./g, (c) => c + c);
  const n = parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const toHex = (rgb: Rgb) => "#" + rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("");

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE: Rgb = [255, 255, 255];

/** Text colour for a fill: white or near-black, whichever contrasts more. */
export function textOn(fill: string): string {
  const rgb = parseHex(fill) ?? parseHex(DEFAULT_BRAND)!;
  return contrast(rgb, WHITE) >= contrast(rgb, parseHex(DARK_TEXT)!) ? "#ffffff" : DARK_TEXT;
}

/** The colour darkened (mixed towards black) until it reads on white at `min`:1. */
export function inkOnWhite(color: string, min = 4.5): string {
  let rgb = parseHex(color) ?? parseHex(DEFAULT_BRAND)!;
  for (let i = 0; i < 40 && contrast(rgb, WHITE) < min; i++) rgb = rgb.map((c) => c * 0.92) as Rgb;
  return toHex(rgb);
}

export function applyBrand(color: string | null | undefined): void {
  const brand = color && parseHex(color) ? toHex(parseHex(color)!) : DEFAULT_BRAND;
  const style = document.documentElement.style;
  style.setProperty("--brand", brand);
  style.setProperty("--on-brand", textOn(brand));
  // 5.2:1 on white keeps ≥ 4.5:1 on the brand tint too (hovered secondary buttons, selected rows).
  style.setProperty("--brand-ink", inkOnWhite(brand, 5.2));
  // A faint tint for selected rows and focus backgrounds.
  const [r, g, b] = parseHex(brand)!;
  style.setProperty("--brand-tint", `rgba(${r},${g},${b},0.1)`);
}
