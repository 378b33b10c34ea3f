// The spectrogram's colour scale: viridis (perceptually uniform, readable with colour-vision deficiencies), on a
// log scale of the cell count, starting well above the plot's black background so a single span is never lost:
// csysdig's black → green ramp made the lone outlier the dimmest cell on the screen.

/**
 * Viridis at 0, 0.1, … 1, as published with matplotlib (Smith, van der Walt, Firing; CC0). Interpolated
 * linearly in between, which stays within a few levels of the full 256-entry table.
 */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x48, 0x24, 0x75],
  [0x41, 0x44, 0x87],
  [0x35, 0x5f, 0x8d],
  [0x2a, 0x78, 0x8e],
  [0x21, 0x91, 0x8c],
  [0x22, 0xa8, 0x84],
  [0x44, 0xbf, 0x70],
  [0x7a, 0xd1, 0x51],
  [0xbd, 0xdf, 0x26],
  [0xfd, 0xe7, 0x25],
];

/**
 * Where a count of 1 lands on viridis: its teal has 5.5:1 luminance contrast with the black background (WCAG asks
 * 3:1 of graphics; csysdig's dark green reached 4.2:1 next to busy cells), while the purple below it would vanish.
 * The rest of the ramp still spans 3.5× in luminance up to the yellow of the busiest cell.
 */
const RAMP_START = 0.5;
const LUT_SIZE = 256;

export const PLOT_BACKGROUND = '#000000';

function viridisAt(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** The ramp sampled once: drawing thousands of cells looks colours up instead of interpolating each. */
const RAMP: readonly string[] = Array.from({ length: LUT_SIZE }, (_, i) => {
  const [r, g, b] = viridisAt(RAMP_START + (1 - RAMP_START) * (i / (LUT_SIZE - 1)));
  return `rgb(${r},${g},${b})`;
});

/** A count's place on the ramp, 0 (one span) … 1 (the busiest cell), on a log scale: ln n / ln max. */
export function countShade(n: number, max: number): number {
  if (max <= 1) return 1;
  return Math.min(1, Math.max(0, Math.log(Math.max(1, n)) / Math.log(max)));
}

/** The CSS colour of a cell holding `n` spans when the busiest visible cell holds `max`. */
export function countColour(n: number, max: number): string {
  return RAMP[Math.round(countShade(n, max) * (LUT_SIZE - 1))];
}

/** The CSS colour at a place on the ramp (the legend's gradient). */
export function shadeColour(shade: number): string {
  return RAMP[Math.round(Math.min(1, Math.max(0, shade)) * (LUT_SIZE - 1))];
}

export interface LegendTick {
  count: number;
  /** position on the ramp, 0 … 1 */
  shade: number;
}

/**
 * The legend's labels: 1, 10, 100, … and the busiest cell's count, leaving out a power of ten that would
 * crowd the maximum's label.
 */
export function legendTicks(max: number): LegendTick[] {
  if (max < 1) return [];
  const ticks: LegendTick[] = [];
  for (let count = 1; count < max; count *= 10) {
    const shade = countShade(count, max);
    if (shade <= 0.85 || ticks.length === 0) ticks.push({ count, shade });
  }
  ticks.push({ count: max, shade: 1 });
  return ticks;
}
