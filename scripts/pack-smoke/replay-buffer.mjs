import { ReplayBuffer } from '@ebmjs/replay-buffer';
import * as tf from '@tensorflow/tfjs';

const buffer = new ReplayBuffer({ shape: [4], capacity: 16, seed: 1 });
const x = buffer.sample(8);
buffer.push(x);
const back = ReplayBuffer.restore(JSON.stringify(buffer));
const same = tf.equal(buffer.sample(4), back.sample(4)).all().dataSync()[0] === 1;
if (buffer.size !== 8 || !same) throw new Error(`size ${buffer.size}, restore same ${same}`);
console.log(`buffer size ${buffer.size}/${buffer.capacity}, restore round-trips`);
