import { describe, expect, it } from 'vitest';
import { viridis } from './colormap.js';

describe('viridis', () => {
  it('hits matplotlib viridis at the ends and the middle, clips outside [0, 1]', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(0.5)).toEqual([33, 144, 141]);
    expect(viridis(-3)).toEqual(viridis(0));
    expect(viridis(7)).toEqual(viridis(1));
  });

  it('interpolates linearly between samples, in integers, and draws NaN red', () => {
    // halfway between samples 0 and 1 (t = 1/16)
    expect(viridis(1 / 16)).toEqual([70, 23, 103]);
    expect(viridis(Number.NaN)).toEqual([220, 30, 30]);
    for (let t = 0; t <= 1; t += 0.01)
      for (const c of viridis(t)) expect(Number.isInteger(c)).toBe(true);
  });
});
