import { describe, expect, it } from 'vitest';
import { UnsupportedError } from './errors.js';
import { nodeModule } from './node-module.js';

describe('nodeModule', () => {
  it('imports a Node built-in at run time', async () => {
    const path = await nodeModule<typeof import('node:path')>('node:path', 'joining paths');
    expect(path.join('a', 'b')).toBe(`a${path.sep}b`);
  });

  it('a module that cannot load gives UnsupportedError naming the feature', async () => {
    const err = (await nodeModule('node:no-such-builtin', 'saving checkpoints').catch(
      (e: unknown) => e,
    )) as UnsupportedError;
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.message).toMatch(/saving checkpoints needs Node\.js \(node:no-such-builtin/);
  });
});
