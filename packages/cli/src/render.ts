/**
 * Pictures for the CLI: an energy landscape with samples on top (2-D models).
 *
 * @module render
 */
import { type RGBAImage, viridis } from '@ebmjs/datasets';
import * as tf from '@tensorflow/tfjs';

/** Options of {@link energyLandscape}. */
export interface LandscapeOptions {
  /** Plot range per axis (default [-1, 1]). */
  range?: [number, number];
  /** Image side in pixels (default 320). */
  size?: number;
  /** Points `[n, 2]` drawn as dots (e.g. Langevin samples). */
  points?: Float32Array;
  /** Second set of points drawn in another colour (e.g. data). */
  data?: Float32Array;
}

/**
 * Evaluates `energy` on a `size × size` grid and colours it with viridis by rank, from the
 * highest energy in view (dark) to the lowest (bright = likely); samples are white dots, data
 * points (if given) small red dots.
 */
export function energyLandscape(
  energy: (x: tf.Tensor) => tf.Tensor,
  options: LandscapeOptions = {},
): RGBAImage {
  const [lo, hi] = options.range ?? [-1, 1];
  const size = options.size ?? 320;
  const coords = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const i = r * size + c;
      coords[2 * i] = lo + ((c + 0.5) / size) * (hi - lo);
      coords[2 * i + 1] = hi - ((r + 0.5) / size) * (hi - lo); // y up
    }
  }
  const e = new Float32Array(size * size);
  const chunk = 4096;
  for (let i = 0; i < size * size; i += chunk) {
    const m = Math.min(chunk, size * size - i);
    const t = tf.tidy(() => energy(tf.tensor2d(coords.subarray(2 * i, 2 * (i + m)), [m, 2])));
    e.set(t.dataSync(), i);
    t.dispose();
  }
  // Trained energies span a small range (the regulariser keeps them near 0) and the corners of
  // the square dominate it, so colour by rank (histogram equalisation): the brightest tenth of
  // the picture is the lowest-energy tenth of the square. Monotone in E, so the ordering of the
  // landscape is shown faithfully, though not its scale.
  const order = Array.from(e.keys()).sort((a, b) => e[b]! - e[a]!);
  const rank = new Float32Array(e.length);
  order.forEach((idx, k) => {
    rank[idx] = k / (e.length - 1);
  });
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < e.length; i++) {
    const [r, g, b] = viridis(rank[i]!);
    data.set([r, g, b, 255], 4 * i);
  }
  const img: RGBAImage = { data, width: size, height: size };
  const dot = (pts: Float32Array, rgb: [number, number, number], radius: number) => {
    for (let k = 0; k < pts.length / 2; k++) {
      const cx = Math.round(((pts[2 * k]! - lo) / (hi - lo)) * size - 0.5);
      const cy = Math.round(((hi - pts[2 * k + 1]!) / (hi - lo)) * size - 0.5);
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          if (x >= 0 && y >= 0 && x < size && y < size) data.set([...rgb, 255], 4 * (y * size + x));
        }
      }
    }
  };
  if (options.data) dot(options.data, [230, 60, 60], 0);
  if (options.points) dot(options.points, [255, 255, 255], 1);
  return img;
}
