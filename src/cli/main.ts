/**
 * The `compression-lab` command line: the same engine calls the browser
 * worker makes, printed as tables or JSON. Each command is one entry of
 * COMMANDS (larger ones live in src/cli/commands/<name>.ts and are listed
 * there too); `main` only dispatches and turns errors into exit codes.
 */
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { accountModel, estimatedSeconds } from '../model/accounting.ts';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import { estimateEnergy } from '../model/energy.ts';
import { describeModelFile, parseModel, serializeModel } from '../model/format.ts';
import { describeEncoding } from '../model/codecs.ts';
import { initModel } from '../model/model.ts';
import { denseSizeTable } from '../model/size.ts';
import { formatBytes, formatTable } from './table.ts';
import { train } from './commands/train.ts';
import { evalCommand } from './commands/eval.ts';
import { benchCommand } from './commands/bench.ts';
import { UsageError, fmtSeconds, fmtShape, loadArchitectureOrModel, number, type Command, type Io } from './common.ts';
import { compressCommand } from './commands/compress.ts';
import { sensitivityCommand } from './commands/sensitivity.ts';
import { importCommand } from './commands/import.ts';
import { exportCommand } from './commands/export.ts';
import { importFiles } from '../import/index.ts';
import { isImportPath, readImportFiles } from '../engine/node.ts';

export { UsageError };

const COMMANDS: Record<string, Command> = {
  import: importCommand,
  export: exportCommand,
  compress: compressCommand,
  sensitivity: sensitivityCommand,
  train,
  eval: evalCommand,
  bench: benchCommand,
  init: {
    summary: 'write a model file with seeded random (He-initialised) weights',
    usage: 'compression-lab init <architecture> --out <file> [--seed N]',
    options: { out: { type: 'string' }, seed: { type: 'string' } },
    async run([arg], values, io) {
      if (!arg) throw new UsageError('missing <architecture>');
      if (typeof values.out !== 'string') throw new UsageError('missing --out <file>');
      const seed = values.seed === undefined ? 1 : Number(values.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${String(values.seed)}'`);
      const model = initModel(architecture(arg), seed);
      const bytes = serializeModel(model);
      await writeFile(values.out, bytes);
      io.out(`wrote ${values.out}: ${arg}, seed ${seed}, ${bytes.byteLength.toLocaleString('en-US')} bytes`);
    },
  },
  flops: {
    summary: 'per-layer output shape, parameters, MACs and FLOPs; size, time and energy estimates',
    usage: 'compression-lab flops <architecture|model-file> [--json] [--speed FLOP/s]',
    options: { json: { type: 'boolean' }, speed: { type: 'string' } },
    async run([arg], values, io) {
      const { architecture: arch, fileBytes } = await loadArchitectureOrModel(arg);
      const speed = number(values, 'speed', 4e12);
      const acc = accountModel(arch);
      const sizes = denseSizeTable(arch);
      const fp32Bytes = sizes[0].bytes;
      const energy = {
        fp32: estimateEnergy(acc, { precision: 'fp32', weightBytes: fp32Bytes }),
        int8: estimateEnergy(acc, { precision: 'int8', weightBytes: sizes[2].bytes }),
      };
      if (values.json) {
        io.out(
          JSON.stringify(
            {
              architecture: acc.architecture,
              inputShape: acc.inputShape,
              layers: acc.layers.map((l) => ({
                name: l.name,
                kind: l.kind,
                outputShape: l.outputShape,
                params: l.params,
                macs: l.macs,
                flops: l.flops,
                activationBytes: l.activationBytes,
              })),
              total: acc.total,
              conventions: 'docs/flops.md: 1 MAC = 2 FLOPs; pooling = output elements × window area; bias, ReLU, flatten, softmax = 0',
              estimatedSeconds: { speedFlopsPerSecond: speed, seconds: estimatedSeconds(acc.total.flops, speed) },
              sizes,
              ...(fileBytes !== undefined ? { fileBytes } : {}),
              energyEstimate: energy,
            },
            null,
            2,
          ),
        );
        return;
      }
      io.out(`${acc.architecture}: input ${fmtShape(acc.inputShape)}\n`);
      io.out(
        formatTable(
          ['layer', 'kind', 'output', 'params', 'MACs', 'FLOPs', 'act. bytes'],
          [
            ...acc.layers.map((l) => [l.name, l.kind, fmtShape(l.outputShape), l.params, l.macs, l.flops, l.activationBytes]),
            ['total', '', '', acc.total.params, acc.total.macs, acc.total.flops, acc.total.activationBytes],
          ],
        ),
      );
      const t = estimatedSeconds(acc.total.flops, speed);
      io.out(
        `\nestimated time at ${speed.toExponential(2)} FLOP/s${values.speed === undefined ? ' (an assumed speed; --speed sets it)' : ''}: ${fmtSeconds(t)} per image (FLOPs / speed; a lower bound, not measured)`,
      );
      io.out(`peak activation memory: ${formatBytes(acc.total.peakActivationBytes)} per image\n`);
      io.out(
        formatTable(
          ['encoding', 'bytes', 'size', '× smaller', 'note'],
          sizes.map((s) => [s.encoding, s.bytes, formatBytes(s.bytes), Number(s.ratio.toFixed(2)), s.note]),
        ),
      );
      if (fileBytes !== undefined) io.out(`model file: ${fileBytes.toLocaleString('en-US')} bytes`);
      io.out(
        `\nenergy per image, estimated (not measured; ${energy.fp32.source}): fp32 ${energy.fp32.totalMicrojoules.toPrecision(3)} µJ, int8 ${energy.int8.totalMicrojoules.toPrecision(3)} µJ`,
      );
    },
  },
  info: {
    summary: 'describe a model file: architecture, tensors, encodings, provenance',
    usage: 'compression-lab info <model-file | file.onnx | model.json> [--json]',
    options: { json: { type: 'boolean' } },
    async run([file], values, io) {
      if (!file) throw new UsageError('missing <model-file>');
      if (isImportPath(file)) {
        // An outside model: what the importer makes of it (no dataset needed; `import` also chooses the input convention).
        const r = importFiles(await readImportFiles(file));
        if (values.json) {
          io.out(JSON.stringify({ file, ...r.report, architecture: r.model.architecture, provenance: r.model.provenance ?? {} }, null, 2));
          return;
        }
        const p = r.report.producer;
        io.out(`${file}: ${r.report.format}${p ? ` from ${p.name} ${p.version}` : ''}${r.report.opset ? `, opset ${r.report.opset}` : ''}`);
        io.out(
          formatTable(
            ['layer', 'kind', 'from'],
            r.report.layers.map((l) => [l.name, l.kind, l.from.join(', ')]),
          ),
        );
        for (const d of r.report.dropped) io.out(`dropped ${d.name} (${d.op}): ${d.why}`);
        for (const n of r.report.notes) io.out(`note: ${n}`);
        io.out(
          `declared input map: ${r.model.architecture.preprocess?.label ?? (r.model.architecture.preprocess ? JSON.stringify(r.model.architecture.preprocess) : 'none')}`,
        );
        return;
      }
      const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new Error(e.code === 'ENOENT' ? `no such file: '${file}'` : `cannot read '${file}': ${e.message}`);
      });
      const info = describeModelFile(bytes, file);
      // A lab file also gets the full parse (it validates every value); a foreign safetensors file only the container view.
      const model = info.isLabFile ? parseModel(bytes, file) : undefined;
      if (values.json) {
        io.out(
          JSON.stringify(
            { ...info, ...(model ? { architecture: model.architecture, provenance: model.provenance ?? {}, encodings: model.encodings ?? {} } : {}) },
            null,
            2,
          ),
        );
        return;
      }
      io.out(
        `${file}: ${info.totalBytes.toLocaleString('en-US')} bytes (header ${info.headerBytes.toLocaleString('en-US')}, tensor data ${info.dataBytes.toLocaleString('en-US')})`,
      );
      if (!model) {
        io.out('not a compression-lab model file (no lab metadata): showing the safetensors container only');
      } else {
        const acc = accountModel(model.architecture);
        io.out(
          `architecture: ${model.architecture.name}, ${model.architecture.layers.length} layers, ${acc.total.params.toLocaleString('en-US')} parameters, ${acc.total.flops.toLocaleString('en-US')} FLOPs per image`,
        );
        const p = model.provenance ?? {};
        const prov = Object.entries(p)
          .filter(([, v]) => v !== undefined && typeof v !== 'object')
          .map(([k, v]) => `${k}=${String(v)}`);
        if (prov.length) io.out(`provenance: ${prov.join(', ')}`);
      }
      io.out('');
      io.out(
        formatTable(
          ['tensor', 'dtype', 'shape', 'elements', 'bytes', 'encoding'],
          info.tensors.map((t) => [
            t.name,
            t.dtype,
            fmtShape(t.shape),
            t.elements,
            t.byteLength,
            model ? describeEncoding(model.encodings?.[t.name] ?? { kind: 'fp32' }) : '',
          ]),
        ),
      );
    },
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'compression-lab — make neural networks smaller and faster, and measure what it buys',
    '',
    'usage: compression-lab <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    `built-in architectures: ${Object.keys(ARCHITECTURES).join(', ')}`,
    "run 'compression-lab <command> --help' for a command's options",
  ].join('\n');
}

/** Runs the CLI; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`compression-lab: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(`usage: ${cmd.usage}\n\n${cmd.summary}`);
      return 0;
    }
    await cmd.run(positionals, values as Record<string, string | boolean | undefined>, io);
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`compression-lab ${name}: ${err.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    io.err(`compression-lab ${name}: ${err.message}`);
    return 1;
  }
}
