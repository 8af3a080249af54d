/**
 * One entry for every outside format: which importer a pick of files is for,
 * and the import itself. A user picks files (one `.onnx`; a `model.json` with
 * its `.bin` shards); the format is told by name, then by content, so a file
 * renamed by a download still imports.
 */
import { importOnnx } from './onnx/index.ts';
import { importTfjs } from './tfjs/index.ts';
import type { ImportFile, ImportFormat, ImportOptions, ImportedModel } from './types.ts';
import { ImportError } from './types.ts';

export * from './types.ts';

/** What a pick of files holds: an outside format, or the lab's own model file. */
export type FileFormat = ImportFormat | 'lab';

const looksJson = (b: Uint8Array): boolean => {
  for (const c of b.subarray(0, 64)) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b; // '{'
  }
  return false;
};

/** A safetensors file: 8-byte little-endian header length, then a JSON header. */
const looksSafetensors = (b: Uint8Array): boolean => b.length > 9 && b[8] === 0x7b && new DataView(b.buffer, b.byteOffset).getUint32(4, true) === 0;

/** The format of a pick of files; throws ImportError naming the files when it is none the lab reads. */
export function detectFormat(files: ImportFile[]): { format: FileFormat; main: ImportFile } {
  if (!files.length) throw new ImportError('no file given');
  const byExt = (re: RegExp): ImportFile[] => files.filter((f) => re.test(f.name));
  const onnx = byExt(/\.onnx$/i);
  const json = byExt(/\.json$/i);
  const lab = byExt(/\.safetensors$/i);
  const picked = [onnx, json, lab].filter((g) => g.length);
  if (picked.length > 1 || picked.some((g) => g.length > 1)) {
    throw new ImportError(`pick one model at a time: ${files.map((f) => f.name).join(', ')} holds more than one model file (.onnx, model.json, .safetensors)`);
  }
  if (onnx.length) return { format: 'onnx', main: onnx[0] };
  if (json.length) return { format: 'tfjs-layers', main: json[0] };
  if (lab.length) return { format: 'lab', main: lab[0] };
  // No telling name: sniff the content of a single file.
  if (files.length === 1) {
    const f = files[0];
    if (looksSafetensors(f.bytes)) return { format: 'lab', main: f };
    if (looksJson(f.bytes)) return { format: 'tfjs-layers', main: f };
    return { format: 'onnx', main: f };
  }
  throw new ImportError(
    `cannot tell which of ${files.map((f) => f.name).join(', ')} is the model: name it .onnx, model.json (with its .bin shards) or .safetensors`,
  );
}

/** Imports an outside model (ONNX, or TF.js Layers model.json + shards). The lab's own files are parsed by src/model/format.ts, not here. */
export function importFiles(files: ImportFile[], options: ImportOptions = {}): ImportedModel {
  const { format, main } = detectFormat(files);
  switch (format) {
    case 'onnx':
      if (files.length > 1)
        throw new ImportError(
          `an ONNX model is one file; also picked: ${files
            .filter((f) => f !== main)
            .map((f) => f.name)
            .join(', ')}`,
        );
      return importOnnx(main.bytes, { ...options, name: options.name ?? baseName(main.name, /\.onnx$/i) });
    case 'tfjs-layers':
      return importTfjs(files, options);
    case 'lab':
      throw new ImportError(`${main.name} is a Compression Lab model file: load it as one, not through an importer`);
  }
}

function baseName(name: string, ext: RegExp): string | undefined {
  const b = name.replace(/^.*[\\/]/, '').replace(ext, '');
  return b || undefined;
}
