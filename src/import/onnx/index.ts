/** The ONNX importer: `importOnnx(bytes, options)` → `{ model, report }` (see docs/import.md, "Importing ONNX models"). */
export { importOnnx } from './import.ts';
export { MAX_OPSET, MIN_OPSET, NOT_YET_SUPPORTED, SUPPORTED_OPS } from './support.ts';
