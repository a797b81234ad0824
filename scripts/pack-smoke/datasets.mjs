import { encodePng, imageGrid, loadMnist, toy } from '@ebmjs/datasets';
import { readIdx } from '@ebmjs/datasets/node';

const moons = toy('twoMoons', { n: 100, seed: 0 });
const mnist = await loadMnist({ n: 16 }); // the bundled digits ship inside the tarball
const png = await encodePng(imageGrid(mnist, { cols: 4 }));
if (mnist.shape.join() !== '16,32,32,1' || png[1] !== 0x50 || moons.shape.join() !== '100,2')
  throw new Error(`unexpected ${mnist.shape} ${moons.shape}`);
if (typeof readIdx !== 'function') throw new Error('no readIdx in ./node');
console.log(`mnist ${mnist.shape}, grid PNG ${png.length} bytes`);
