/**
 * Colour maps for pictures of scalar fields (energy landscapes, densities), shared by the CLI's
 * PNGs and the docs' live canvases.
 *
 * @module colormap
 */

/** Viridis (matplotlib), sampled at 9 points; {@link viridis} interpolates linearly. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/**
 * Viridis colour of `t` in [0, 1] as integer `[r, g, b]` (0-255): dark purple at 0, yellow at 1.
 * `t` outside [0, 1] is clipped; NaN is drawn red (as NaN pixels are in {@link imageGrid}).
 */
export function viridis(t: number): [number, number, number] {
  if (Number.isNaN(t)) return [220, 30, 30];
  const u = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const f = u - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [
    Math.round(a[0] + f * (b[0] - a[0])),
    Math.round(a[1] + f * (b[1] - a[1])),
    Math.round(a[2] + f * (b[2] - a[2])),
  ];
}
