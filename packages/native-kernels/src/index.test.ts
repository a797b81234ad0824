import { describe, expect, it } from 'vitest';
import { loadAddon } from './index.js';

// The workspace's install builds the addon (scripts/build-native.mjs); this suite requires it.
// The kernels' numerics are tested where they run, against tfjs's cpu backend on many shapes and
// against float64: @ebmjs/tensor-backend's kernels/wasm-conv-fma.test.ts (its 'native' variant)
// and kernels/wasm-activations.test.ts (the native arithmetic).
describe('@ebmjs/native-kernels', () => {
  it('loads, with all eight kernels and the instruction set it runs', () => {
    const addon = loadAddon();
    for (const name of [
      'pad',
      'conv',
      'conv4',
      'conv1',
      'fgrad',
      'sigmoid',
      'swish',
      'swish_grad',
    ] as const) {
      expect(typeof addon[name]).toBe('function');
    }
    expect(['x86-64-v4', 'x86-64-v3', 'aarch64', 'baseline']).toContain(addon.isa());
  });

  it('pad and conv on a plain ArrayBuffer as the heap: byte offsets, zeros around', () => {
    const { pad, conv } = loadAddon();
    const heap = new ArrayBuffer(4096);
    const f = new Float32Array(heap);
    // x [1, 2, 2, 1] at byte 0 = 1 2 / 3 4, padded to [1, 4, 4, 1] at byte 64
    f.set([1, 2, 3, 4], 0);
    f.fill(NaN, 16, 32);
    pad(heap, 0, 64, 1, 2, 2, 1, 4, 4, 1, 1);
    expect(Array.from(f.subarray(16, 32))).toEqual([
      0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0,
    ]);
    // a 3x3 box filter with cin 1 and cout 4 (16-channel panel, zero beyond 4), bias 0.5 1 2 3
    // over the padded input: out[oy, ox, co] = bias[co] + (co + 1) * window sum
    const w = 256; // filter panel [9][16] at float 256
    for (let k = 0; k < 9; k++) for (let co = 0; co < 4; co++) f[w + k * 16 + co] = co + 1;
    const bias = 512; // [16] at float 512
    f.set([0.5, 1, 2, 3], bias);
    const out = 600;
    // geometry: n 1, hp wp 4, cin 1, oh ow 2, cout 4, kernel 3x3, strides 1, dilations 1;
    // output bytes per image 64, row 32, pixel 16; pixels [0, 4)
    const geometry = [1, 4, 4, 1, 2, 2, 4, 3, 3, 1, 1, 1, 1, 64, 32, 16];
    conv(heap, 64, w * 4, bias * 4, out * 4, ...geometry, 0, 4);
    const sums = [10, 10, 10, 10]; // every 3x3 window of the padded 4x4 holds all of 1 2 3 4
    const got = Array.from(f.subarray(out, out + 16));
    const want = sums.flatMap((s) => [0.5 + s, 1 + 2 * s, 2 + 3 * s, 3 + 4 * s]);
    expect(got).toEqual(want);
  });

  it('rejects a heap that is not an ArrayBuffer and a wrong argument count with TypeErrors', () => {
    const { pad } = loadAddon();
    expect(() =>
      pad(new Float32Array(4) as unknown as ArrayBuffer, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0),
    ).toThrow(TypeError);
    expect(() => pad(new ArrayBuffer(64), 0, 0, 1)).toThrow(/argument count/);
  });
});
