// A small canvas toolkit shared by the live demos: heat maps of a function on a 2-D grid, point
// clouds, arrow fields and line charts. Plain canvas 2-D, no tfjs (see tf-grid.ts for that).

import { viridis } from '@ebmjs/datasets';

/** `[xmin, xmax, ymin, ymax]` of the plotted square in data units. */
export type Extent = readonly [number, number, number, number];

/**
 * How energies become colours: `'density'` shows exp(-(E - min E)) (bright = likely); `'energy'`
 * colours each grid value by its rank among all of them (histogram equalisation, bright = low
 * energy), so shallow basins stay visible next to the steep walls a learned energy grows.
 */
export type HeatMode = 'density' | 'energy';

/** Values on an n×n grid, row 0 at the top (largest y), as made by `gridPoints`. */
export function heatToImage(values: ArrayLike<number>, n: number, mode: HeatMode): ImageData {
  let lo = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n * n; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && v < lo) lo = v;
  }
  const img = new ImageData(n, n);
  const rank = new Float32Array(n * n);
  if (mode === 'energy') {
    const order = Array.from({ length: n * n }, (_, i) => i);
    order.sort((a, b) => (values[a]! as number) - (values[b]! as number));
    order.forEach((i, r) => {
      rank[i] = 1 - r / Math.max(1, n * n - 1);
    });
  }
  for (let i = 0; i < n * n; i++) {
    const e = values[i]!;
    const t = mode === 'density' ? Math.exp(-(e - lo)) : Number.isFinite(e) ? rank[i]! : Number.NaN;
    const [r, g, b] = viridis(t);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  return img;
}

/** Grid points for an n×n heat map over `extent`: row-major, top row first, `[n*n*2]`. */
export function gridPoints(extent: Extent, n: number): Float32Array {
  const [x0, x1, y0, y1] = extent;
  const out = new Float32Array(n * n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const k = 2 * (r * n + c);
      out[k] = x0 + ((c + 0.5) / n) * (x1 - x0);
      out[k + 1] = y1 - ((r + 0.5) / n) * (y1 - y0);
    }
  }
  return out;
}

/** A square 2-D plot: a heat map layer (cached) with points and arrows drawn over it. */
export class Plot2D {
  readonly ctx: CanvasRenderingContext2D;
  private heat: HTMLCanvasElement | null = null;

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly extent: Extent,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2-D context is not available');
    this.ctx = ctx;
  }

  /** Canvas pixel coordinates of a data point. */
  toPx(x: number, y: number): [number, number] {
    const [x0, x1, y0, y1] = this.extent;
    return [
      ((x - x0) / (x1 - x0)) * this.canvas.width,
      ((y1 - y) / (y1 - y0)) * this.canvas.height,
    ];
  }

  /** Sets the heat map (n×n values from `gridPoints`); drawn by `clear()`. */
  setHeat(values: ArrayLike<number>, n: number, mode: HeatMode = 'density'): void {
    const small = document.createElement('canvas');
    small.width = n;
    small.height = n;
    small.getContext('2d')!.putImageData(heatToImage(values, n, mode), 0, 0);
    this.heat = small;
  }

  /** Draws the heat map (or a dark background) over the whole canvas. */
  clear(): void {
    const { ctx, canvas } = this;
    if (this.heat) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.heat, 0, 0, canvas.width, canvas.height);
    } else {
      ctx.fillStyle = '#1b1b2f';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }
  }

  /** Points from an interleaved `[x0, y0, x1, y1, ...]` array. */
  points(
    xy: ArrayLike<number>,
    color = '#ff5a36',
    radius = 2.2,
    stroke: string | null = 'rgba(0, 0, 0, 0.55)',
  ): void {
    const { ctx } = this;
    ctx.fillStyle = color;
    ctx.strokeStyle = stroke ?? 'transparent';
    ctx.lineWidth = 0.8;
    for (let i = 0; i + 1 < xy.length; i += 2) {
      const [px, py] = this.toPx(xy[i]!, xy[i + 1]!);
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fill();
      if (stroke) ctx.stroke();
    }
  }

  /**
   * Arrows at `at` (interleaved x, y) along `vec` (interleaved), all scaled by one factor so that
   * the longest is `maxLen` pixels (lengths stay comparable).
   */
  arrows(
    at: ArrayLike<number>,
    vec: ArrayLike<number>,
    color = 'rgba(255,255,255,0.85)',
    maxLen = 18,
  ): void {
    let longest = 0;
    for (let i = 0; i + 1 < vec.length; i += 2)
      longest = Math.max(longest, Math.hypot(vec[i]!, vec[i + 1]!));
    if (!(longest > 0) || !Number.isFinite(longest)) return;
    const [x0, x1] = this.extent;
    const pxPerUnit = this.canvas.width / (x1 - x0);
    const scale = maxLen / (longest * pxPerUnit);
    const { ctx } = this;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.3;
    for (let i = 0; i + 1 < at.length; i += 2) {
      const [ax, ay] = this.toPx(at[i]!, at[i + 1]!);
      const [bx, by] = this.toPx(at[i]! + scale * vec[i]!, at[i + 1]! + scale * vec[i + 1]!);
      const len = Math.hypot(bx - ax, by - ay);
      if (len < 0.5) continue;
      const head = Math.min(5, 0.4 * len);
      const ang = Math.atan2(by - ay, bx - ax);
      ctx.beginPath();
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      ctx.moveTo(bx, by);
      ctx.lineTo(bx - head * Math.cos(ang - 0.45), by - head * Math.sin(ang - 0.45));
      ctx.moveTo(bx, by);
      ctx.lineTo(bx - head * Math.cos(ang + 0.45), by - head * Math.sin(ang + 0.45));
      ctx.stroke();
    }
  }
}

/** One series of a {@link LineChart}. */
export interface Series {
  name: string;
  color: string;
}

/** A line chart of metrics over steps; keeps at most `maxPoints` per series (thinned by 2). */
export class LineChart {
  private readonly ctx: CanvasRenderingContext2D;
  private data: { x: number[]; y: number[] }[];

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly series: Series[],
    readonly maxPoints = 400,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2-D context is not available');
    this.ctx = ctx;
    this.data = series.map(() => ({ x: [], y: [] }));
  }

  reset(): void {
    this.data = this.series.map(() => ({ x: [], y: [] }));
    this.draw();
  }

  /** Adds one value per series (in series order) at step x; non-finite values are skipped. */
  push(x: number, values: number[]): void {
    values.forEach((v, i) => {
      const d = this.data[i];
      if (!d || !Number.isFinite(v)) return;
      d.x.push(x);
      d.y.push(v);
      if (d.x.length > this.maxPoints) {
        d.x = d.x.filter((_, k) => k % 2 === 0);
        d.y = d.y.filter((_, k) => k % 2 === 0);
      }
    });
  }

  draw(): void {
    const { ctx, canvas } = this;
    const W = canvas.width;
    const H = canvas.height;
    const pad = { l: 46, r: 8, t: 8, b: 20 };
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    let x0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (const d of this.data) {
      for (const x of d.x) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
      }
      for (const y of d.y) {
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#555';
    if (!Number.isFinite(x0)) {
      ctx.fillText('no data yet', pad.l, H / 2);
      return;
    }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) {
      y0 -= 0.5;
      y1 += 0.5;
    }
    const m = 0.05 * (y1 - y0);
    y0 -= m;
    y1 += m;
    const px = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (W - pad.l - pad.r);
    const py = (y: number) => pad.t + ((y1 - y) / (y1 - y0)) * (H - pad.t - pad.b);
    ctx.strokeStyle = '#ddd';
    ctx.lineWidth = 1;
    for (let k = 0; k <= 4; k++) {
      const y = y0 + (k / 4) * (y1 - y0);
      ctx.beginPath();
      ctx.moveTo(pad.l, py(y));
      ctx.lineTo(W - pad.r, py(y));
      ctx.stroke();
      ctx.fillText(formatTick(y), 2, py(y) + 4);
    }
    if (y0 < 0 && y1 > 0) {
      ctx.strokeStyle = '#999';
      ctx.beginPath();
      ctx.moveTo(pad.l, py(0));
      ctx.lineTo(W - pad.r, py(0));
      ctx.stroke();
    }
    ctx.fillText(`step ${Math.round(x1)}`, W - pad.r - 60, H - 5);
    this.data.forEach((d, i) => {
      const s = this.series[i]!;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.6;
      ctx.beginPath();
      d.x.forEach((x, k) => {
        if (k === 0) ctx.moveTo(px(x), py(d.y[k]!));
        else ctx.lineTo(px(x), py(d.y[k]!));
      });
      ctx.stroke();
      ctx.fillStyle = s.color;
      ctx.fillText(s.name, pad.l + 6 + i * 90, H - 5);
    });
  }
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e4)) return v.toExponential(1);
  return v.toFixed(a < 1 ? 3 : a < 100 ? 2 : 0);
}

/** Draws RGBA pixels (e.g. from `imageGrid` of @ebmjs/datasets) scaled up to fill a canvas. */
export function drawPixels(
  canvas: HTMLCanvasElement,
  rgba: { data: Uint8ClampedArray; width: number; height: number },
): void {
  const small = document.createElement('canvas');
  small.width = rgba.width;
  small.height = rgba.height;
  small
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(rgba.data), rgba.width, rgba.height), 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}
