import { InvalidArgumentError } from '@ebmjs/tensor-backend';
import { describe, expect, it } from 'vitest';
import { constant, cosine, exponential, geometric, linear } from './schedules.js';

describe('schedules', () => {
  it('hit their end points and hold after the last step', () => {
    expect(constant(3)(0)).toBe(3);
    expect(constant(3)(1e6)).toBe(3);
    const lin = linear(10, 1, 9);
    expect([0, 1, 4.5, 9, 100].map(lin)).toEqual([10, 9, 5.5, 1, 1]);
    const geo = geometric(1, 0.01, 2);
    expect(geo(0)).toBeCloseTo(1, 12);
    expect(geo(1)).toBeCloseTo(0.1, 12); // constant ratio: the geometric midpoint
    expect(geo(2)).toBeCloseTo(0.01, 12);
    expect(geo(50)).toBeCloseTo(0.01, 12);
    const ex = exponential(2, 0.5);
    expect([0, 1, 3].map(ex)).toEqual([2, 1, 0.25]);
    const cos = cosine(1, 0, 10);
    expect(cos(0)).toBeCloseTo(1, 12);
    expect(cos(5)).toBeCloseTo(0.5, 12);
    expect(cos(10)).toBeCloseTo(0, 12);
    expect(cos(2.5)).toBeCloseTo((1 + Math.cos(Math.PI / 4)) / 2, 12);
  });

  it('reject bad parameters with typed errors', () => {
    expect(() => linear(1, 0, 0)).toThrow(InvalidArgumentError);
    expect(() => linear(Number.NaN, 0, 3)).toThrow(InvalidArgumentError);
    expect(() => geometric(0, 1, 3)).toThrow(InvalidArgumentError);
    expect(() => geometric(1, -1, 3)).toThrow(InvalidArgumentError);
    expect(() => exponential(1, 0)).toThrow(InvalidArgumentError);
    expect(() => cosine(1, 0, 1.5)).toThrow(InvalidArgumentError);
    expect(() => constant(Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
  });
});
