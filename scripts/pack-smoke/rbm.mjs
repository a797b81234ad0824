import { ais, BernoulliRBM, exactLogZ } from '@ebmjs/rbm';
import { initBackend } from '@ebmjs/tensor-backend';

await initBackend({ backend: 'wasm' });
const data = new Float32Array(64 * 8).map((_, i) => ((i >> 3) + (i & 7)) % 2);
const rbm = new BernoulliRBM({ visible: 8, hidden: 4, seed: 1 });
await rbm.fit({ data, shape: [64, 8] }, { epochs: 3, batchSize: 16 });
const exact = exactLogZ(rbm);
const est = ais(rbm, { runs: 100, steps: 500, seed: 2 }).logZ;
if (Math.abs(est - exact) > 0.1) throw new Error(`AIS ${est} vs exact ${exact}`);
console.log(`log Z exact ${exact.toFixed(3)}, AIS ${est.toFixed(3)}`);
