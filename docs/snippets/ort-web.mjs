// ONNX Runtime Web (the same API in the browser, with a URL instead of bytes): node ort-web.mjs model.onnx digit.raw
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-web';

const session = await ort.InferenceSession.create(await readFile(process.argv[2]));
const pixels = await readFile(process.argv[3]); // one 28×28 MNIST image, 784 bytes 0–255, row by row
const x = Float32Array.from(pixels, (p) => p / 255); // pixel / 255
const input = new ort.Tensor('float32', x, [1, 1, 28, 28]); // NCHW
const { logits } = await session.run({ input });
const scores = Array.from(logits.data);
console.log(scores.indexOf(Math.max(...scores)));
