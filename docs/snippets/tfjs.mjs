// TensorFlow.js: node tfjs.mjs http://host/path/model.json digit.raw (in the browser: the model.json URL, pixels from a canvas)
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';

const model = await tf.loadLayersModel(process.argv[2]); // fetches model.json, then the shards next to it
const pixels = await readFile(process.argv[3]); // one 28×28 MNIST image, 784 bytes 0–255, row by row
const values = Float32Array.from(pixels, (p) => p / 255); // pixel / 255
const x = tf.tensor4d(values, [1, 28, 28, 1]); // NHWC
const logits = model.predict(x);
console.log((await logits.argMax(-1).data())[0]);
