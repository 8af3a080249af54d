/**
 * The loading snippets of docs/export.md are the files in docs/snippets/,
 * quoted verbatim, and the JavaScript ones are run here against real exports
 * in their real runtimes: what a user copies works. The Python onnxruntime
 * snippet is only compiled: onnxruntime for Python is in neither Debian nor
 * the package mirrors this project's CI can reach.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { exportModel } from '../engine/export.ts';
import { readModelFile } from '../engine/node.ts';

const run = promisify(execFile);
const SNIPPETS = new URL('../../docs/snippets/', import.meta.url);
const snippet = (name: string) => new URL(name, SNIPPETS).pathname;

let dir: string;
let test: Dataset;
let train: Dataset;
/** Test images whose digit the lab's LeNet-5 gets right, as 784 raw bytes each. */
const IMAGES = [0, 1, 2];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snippets-'));
  [test, train] = await Promise.all([loadDataset('mnist', 'test'), loadDataset('mnist', 'train')]);
  for (const i of IMAGES) await writeFile(join(dir, `digit${i}.raw`), test.images.subarray(i * 784, (i + 1) * 784));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docs/export.md snippets', () => {
  it('quotes every snippet file verbatim', () => {
    const doc = readFileSync(new URL('../../docs/export.md', import.meta.url), 'utf8');
    for (const name of ['ort-web.mjs', 'tfjs.mjs', 'ort-python.py', 'onnx-check.py']) {
      expect(doc, `docs/export.md quotes docs/snippets/${name}`).toContain(readFileSync(snippet(name), 'utf8').trim());
    }
  });

  it('ONNX Runtime Web: the fp32 and the int8 export name the digits', async () => {
    const model = (await readModelFile('models/lenet5.safetensors')).model;
    for (const format of ['onnx', 'onnx-int8'] as const) {
      const r = exportModel(model, format, { train, calibrationImages: 128 });
      const file = join(dir, r.files[0].name);
      await writeFile(file, r.files[0].bytes);
      for (const i of IMAGES) {
        const { stdout } = await run(process.execPath, [snippet('ort-web.mjs'), file, join(dir, `digit${i}.raw`)]);
        expect(Number(stdout.trim().split('\n').pop()), `${format}, test image ${i}`).toBe(test.labels[i]);
      }
    }
  });

  it('TF.js: tf.loadLayersModel over HTTP names the digits (uint8 weights)', async () => {
    const model = (await readModelFile('models/lenet5.safetensors')).model;
    const r = exportModel(model, 'tfjs', { tfjsQuantize: 'uint8' });
    const served = new Map(r.files.map((f) => [`/lenet5/${f.name}`, f.bytes]));
    const server: Server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      res.writeHead(body ? 200 : 404);
      res.end(body ?? '');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as { port: number }).port;
      for (const i of IMAGES) {
        const { stdout } = await run(process.execPath, [snippet('tfjs.mjs'), `http://127.0.0.1:${port}/lenet5/model.json`, join(dir, `digit${i}.raw`)]);
        expect(Number(stdout.trim().split('\n').pop()), `test image ${i}`).toBe(test.labels[i]);
      }
    } finally {
      server.close();
    }
  });

  it('python3-onnx: the checker snippet accepts the int8 export and prints its interface and provenance; the onnxruntime snippet compiles', async () => {
    const model = (await readModelFile('models/lenet-300-100.safetensors')).model;
    const r = exportModel(model, 'onnx-int8', { train, calibrationImages: 128 });
    const file = join(dir, r.files[0].name);
    await writeFile(file, r.files[0].bytes);
    const { stdout } = await run('/usr/bin/python3', [snippet('onnx-check.py'), file]);
    expect(stdout).toContain("opset 17 | input ['N', 1, 28, 28]");
    expect(stdout).toContain('compression-lab.architecture = lenet-300-100');
    expect(stdout).toMatch(/compression-lab\.int8-calibration = \{"method":"minmax","images":128\}/);
    const py = await readFile(snippet('ort-python.py'), 'utf8');
    await run('/usr/bin/python3', ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', snippet('ort-python.py')]);
    expect(py).toContain('reshape(1, 1, 28, 28)');
  });
});
