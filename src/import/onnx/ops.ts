/**
 * One handler per ONNX op of a sequential chain: each reads its node (the
 * chain's tensor plus constant operands), checks what the lab can express,
 * and appends lab layers, folds into the previous one, or drops the node.
 *
 * The chain's tensor is tracked in ONNX terms (`Act`): an image `[N, C, H, W]`
 * (or `[N, H, W, C]` after a layout Transpose) or a flat `[N, K]` that may
 * still be in ONNX's (c, h, w) flatten order, which the next dense layer's
 * columns absorb.
 */
import type { DepthwiseConv2dLayer, Layer, Padding } from '../../model/layers.ts';
import { axisPadding, convOutSize } from '../../model/shapes.ts';
import type { Act, Ctx, FoldTarget, Unnamed } from './ctx.ts';
import { emit, src } from './ctx.ts';
import { convPadding, poolPadding } from './padding.ts';
import type { DecodedNode } from './schema.ts';
import { refuse, refuseNotYet, refuseUnknownOp } from './support.ts';

export type { Act, Ctx } from './ctx.ts';
export { emit } from './ctx.ts';
import type { Const } from './tensors.ts';
import { Attrs, fmtNum } from './tensors.ts';
import { liftFlatTail, liftNote } from '../lift.ts';
import { channelOf, convWeightToLab, depthwiseWeightToLab, foldBatchNorm, reorderChwColumns } from './weights.ts';

function fmtDims(d: number[]): string {
  return `[${d.join(', ')}]`;
}

function needConst(ctx: Ctx, node: DecodedNode, index: number, what: string): Const {
  const name = node.input[index];
  const c = name ? ctx.constant(name) : undefined;
  if (!c) refuse(node, `its ${what} (input ${index}${name ? ` '${name}'` : ''}) must be a constant initializer`);
  return c;
}

function optConst(ctx: Ctx, node: DecodedNode, index: number, what: string): Const | undefined {
  return node.input[index] ? needConst(ctx, node, index, what) : undefined;
}

function needImage(ctx: Ctx, node: DecodedNode): Act & { kind: 'image' } {
  const a = ctx.act;
  if (a.kind !== 'image' || a.order !== 'NCHW') refuse(node, `needs an NCHW image input, but the tensor here is ${describe(a)}`);
  return a;
}

function needFlat(ctx: Ctx, node: DecodedNode): Act & { kind: 'flat' } {
  unlift(ctx);
  const a = ctx.act;
  if (a.kind !== 'flat') refuse(node, `needs a flat [N, K] input, but the tensor here is ${describe(a)}; the lab's dense layer follows a Flatten`);
  return a;
}

/** The flatten a lifted tail owes (nothing when the tensor is not lifted). */
export function unlift(ctx: Ctx): void {
  const a = ctx.act;
  if (a.kind !== 'image' || !a.lifted) return;
  emit(ctx, { input: [], output: [`${a.lifted}_flatten`], opType: '', attribute: [] }, { kind: 'flatten' }, []);
  ctx.act = { kind: 'flat', k: a.c };
}

/** Lifts the flat tail so the pending vector BatchNormalization becomes a 1×1 depthwise conv (src/import/lift.ts); refuses when it cannot. */
export function liftAffine(ctx: Ctx, next: DecodedNode | null): void {
  const affine = ctx.affine!;
  const lift = liftFlatTail({ layers: ctx.layers, weights: ctx.weights, imported: ctx.report.layers, inputShape: ctx.inputShape });
  if (typeof lift === 'string') {
    const where = next ? `'${src(next)}' (${next.opType}) follows it` : 'it ends the chain';
    refuseNotYet(affine.node, 'BatchNormalization.vector', `on a flat tensor with no Gemm/MatMul right after it (${where}), and ${lift}`);
  }
  ctx.affine = null;
  const k = lift.shape[2];
  emit(ctx, affine.node, { kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true }, [src(affine.node)], {
    weight: Float32Array.from(affine.scale),
    bias: Float32Array.from(affine.shift),
  });
  ctx.act = { kind: 'image', c: k, h: 1, w: 1, order: 'NHWC', lifted: src(affine.node) };
  ctx.report.notes.push(liftNote(src(affine.node), lift));
}

function describe(a: Act): string {
  if (a.kind === 'image' && a.lifted) return `[N, ${a.c}]`;
  return a.kind === 'flat' ? `[N, ${a.k}]` : a.order === 'NCHW' ? `[N, ${a.c}, ${a.h}, ${a.w}]` : `[N, ${a.h}, ${a.w}, ${a.c}] (NHWC)`;
}

function onesExcept(dims: number[], keep: number[]): boolean {
  return dims.every((d, i) => d === 1 || keep.includes(i));
}

// ---------------------------------------------------------------- convolution

function conv(ctx: Ctx, node: DecodedNode): void {
  const attrs = new Attrs(node);
  const a = needImage(ctx, node);
  const w = needConst(ctx, node, 1, 'weight');
  if (w.dims.length !== 4) refuseNotYet(node, 'Conv.kernel_shape', `weight ${fmtDims(w.dims)}`);
  const [o, i, kh, kw] = w.dims;
  const ks = attrs.ints('kernel_shape', [kh, kw]);
  if (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw) refuse(node, `kernel_shape ${fmtDims(ks)} disagrees with its weight ${fmtDims(w.dims)}`);
  const dil = attrs.ints('dilations', [1, 1]);
  if (dil.some((d) => d !== 1)) refuseNotYet(node, 'Conv.dilations', `dilations ${fmtDims(dil)}`);
  const strides = attrs.ints('strides', [1, 1]);
  if (strides.length !== 2 || strides.some((s) => s < 1)) refuse(node, `strides ${fmtDims(strides)} must be two positive integers`);
  const group = attrs.int('group', 1);
  const b = optConst(ctx, node, 2, 'bias');
  if (b && b.values.length !== o) refuse(node, `bias has ${b.values.length} values for ${o} output channels`);
  const k: [number, number] = [kh, kw];
  const s: [number, number] = [strides[0], strides[1]];
  if (kh < 1 || kw < 1 || o < 1) refuse(node, `weight ${fmtDims(w.dims)} is empty`);
  let layer: Layer;
  if (group === 1) {
    if (i !== a.c) refuse(node, `weight ${fmtDims(w.dims)} expects ${i} input channels, the input has ${a.c}`);
    const padding = convPadding(node, attrs, [a.h, a.w], k, s);
    const weights: Record<string, Float32Array> = { weight: convWeightToLab(w.values, o, i, kh, kw) };
    if (b) weights.bias = Float32Array.from(b.values);
    layer = emit(ctx, node, { kind: 'conv2d', filters: o, kernel: k, stride: s, padding, bias: !!b }, [src(node)], weights);
  } else if (group === a.c && i === 1) {
    // Group conv with one input channel per group: depthwise, output o = c·M + m reading input c (ONNX's group order is the lab's).
    if (o % a.c !== 0) refuse(node, `group ${group}: ${o} output channels are not a multiple of the ${group} groups`);
    const multiplier = o / a.c;
    const padding = convPadding(node, attrs, [a.h, a.w], k, s);
    const weights: Record<string, Float32Array> = { weight: depthwiseWeightToLab(w.values, o, kh, kw) };
    if (b) weights.bias = Float32Array.from(b.values);
    const dw: Omit<DepthwiseConv2dLayer, 'name'> = {
      kind: 'depthwiseConv2d',
      kernel: k,
      stride: s,
      padding,
      bias: !!b,
      ...(multiplier > 1 ? { multiplier } : {}),
    };
    layer = emit(ctx, node, dw, [src(node)], weights);
  } else {
    refuseNotYet(node, 'Conv.group', `group ${group} (weight ${fmtDims(w.dims)}, ${a.c} input channels)`);
  }
  const p = (layer as { padding: Padding }).padding;
  if (p === 'valid' && (kh > a.h || kw > a.w)) refuse(node, `kernel ${kh}×${kw} is larger than its ${a.h}×${a.w} input`);
  ctx.act = { kind: 'image', c: o, h: convOutSize(a.h, kh, s[0], axisPadding(p, 0)), w: convOutSize(a.w, kw, s[1], axisPadding(p, 1)), order: 'NCHW' };
  ctx.fold = { layer: layer as FoldTarget['layer'], channels: o };
}

// ---------------------------------------------------------------- pooling

function pool(ctx: Ctx, node: DecodedNode): void {
  const attrs = new Attrs(node);
  const a = needImage(ctx, node);
  const op = node.opType;
  if (node.output.length > 1 && node.output[1] && ctx.consumers(node.output[1]) + (ctx.isGraphOutput(node.output[1]) ? 1 : 0) > 0) {
    refuseNotYet(node, 'MaxPool.Indices', 'its Indices output is used');
  }
  const ks = attrs.ints('kernel_shape', []);
  if (ks.length !== 2 || ks.some((v) => v < 1)) refuseNotYet(node, `${op}.kernel_shape`, `kernel_shape ${fmtDims(ks)}`);
  const strides = attrs.ints('strides', [1, 1]);
  if (strides.length !== 2 || strides.some((v) => v < 1)) refuse(node, `strides ${fmtDims(strides)} must be two positive integers`);
  const dil = attrs.ints('dilations', [1, 1]);
  if (dil.some((d) => d !== 1)) refuseNotYet(node, `${op}.dilations`, `dilations ${fmtDims(dil)}`);
  const k: [number, number] = [ks[0], ks[1]];
  const s: [number, number] = [strides[0], strides[1]];
  const padding = poolPadding(node, attrs, [a.h, a.w], k, s);
  const p = padding ?? { top: 0, bottom: 0, left: 0, right: 0 };
  const [ph, pw] = [a.h + p.top + p.bottom, a.w + p.left + p.right];
  if (ks[0] > ph || ks[1] > pw) refuse(node, `window ${ks[0]}×${ks[1]} is larger than its ${a.h}×${a.w} input${padding ? ' with its pads' : ''}`);
  if (attrs.int('ceil_mode', 0) !== 0 && ((ph - ks[0]) % s[0] !== 0 || (pw - ks[1]) % s[1] !== 0)) {
    refuseNotYet(node, `${op}.ceil_mode`, `ceil_mode 1 on a ${a.h}×${a.w} input${padding ? ' with its pads' : ''} (it adds a partial window)`);
  }
  const kind = op === 'MaxPool' ? 'maxPool2d' : 'avgPool2d';
  const layer: Unnamed<Layer> = padding
    ? kind === 'avgPool2d'
      ? { kind, window: k, stride: s, padding, countIncludePad: attrs.int('count_include_pad', 0) !== 0 }
      : { kind, window: k, stride: s, padding }
    : { kind, window: k, stride: s };
  emit(ctx, node, layer, [src(node)]);
  ctx.act = { ...a, h: Math.floor((ph - ks[0]) / s[0]) + 1, w: Math.floor((pw - ks[1]) / s[1]) + 1 };
}

/** GlobalAveragePool / GlobalMaxPool: the lab's pool with one window over the whole H×W image (output [N, C, 1, 1]). */
function globalPool(ctx: Ctx, node: DecodedNode): void {
  const a = needImage(ctx, node);
  const kind = node.opType === 'GlobalMaxPool' ? 'maxPool2d' : 'avgPool2d';
  const layer = emit(ctx, node, { kind, window: [a.h, a.w], stride: [a.h, a.w] }, [src(node)]);
  ctx.act = { ...a, h: 1, w: 1 };
  ctx.report.notes.push(`${node.opType} '${src(node)}' on a ${a.h}×${a.w} input became the ${kind} '${layer.name}' with window = stride = [${a.h}, ${a.w}]`);
}

// ---------------------------------------------------------------- dense

function emitDense(ctx: Ctx, node: DecodedNode, wOut: Float32Array, m: number, bias: Float32Array | null): void {
  const a = ctx.act as Act & { kind: 'flat' };
  const affine = ctx.affine;
  if (affine) {
    // y = W (x·s + t) + b = (W·diag(s)) x + (b + W t), on the columns in the tensor's own (ONNX) order.
    const k = a.k;
    const w = new Float32Array(wOut.length);
    const b = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      let acc = bias ? bias[o] : 0;
      for (let i = 0; i < k; i++) {
        w[o * k + i] = wOut[o * k + i] * affine.scale[i];
        acc += wOut[o * k + i] * affine.shift[i];
      }
      b[o] = acc;
    }
    wOut = w;
    bias = b;
    ctx.affine = null;
    ctx.report.notes.push(
      `BatchNormalization '${src(affine.node)}' on the flat tensor before '${src(node)}' was folded forward into it: W·diag(γ/√(σ²+ε)), b + W·(β − μ·γ/√(σ²+ε))`,
    );
  }
  let weight = wOut;
  if (a.chw && a.chw[0] > 1 && a.chw[1] * a.chw[2] > 1) {
    weight = reorderChwColumns(wOut, m, a.chw);
    const [c, h, w] = a.chw;
    ctx.report.notes.push(
      `${node.opType} '${src(node)}' follows a flatten of a ${c}×${h}×${w} tensor: its ${a.k} input columns were reordered from ONNX's (c, h, w) order to the lab's (h, w, c) order`,
    );
  }
  const weights: Record<string, Float32Array> = { weight };
  if (bias) weights.bias = bias;
  const layer = emit(ctx, node, { kind: 'dense', units: m, bias: !!bias }, affine ? [src(affine.node), src(node)] : [src(node)], weights);
  ctx.act = { kind: 'flat', k: m };
  ctx.fold = { layer: layer as FoldTarget['layer'], channels: m };
}

function gemm(ctx: Ctx, node: DecodedNode): void {
  const attrs = new Attrs(node);
  const a = needFlat(ctx, node);
  if (attrs.int('transA', 0) !== 0) refuseNotYet(node, 'Gemm.transA', 'transA 1');
  const transB = attrs.int('transB', 0);
  const alpha = attrs.float('alpha', 1);
  const beta = attrs.float('beta', 1);
  const b = needConst(ctx, node, 1, 'weight B');
  if (b.dims.length !== 2) refuse(node, `weight B ${fmtDims(b.dims)} is not a matrix`);
  const [m, k] = transB ? b.dims : [b.dims[1], b.dims[0]];
  if (k !== a.k) refuse(node, `weight B ${fmtDims(b.dims)}${transB ? ' (transB 1)' : ''} expects ${k} inputs, the input has ${a.k}`);
  const w = new Float32Array(m * k);
  for (let r = 0; r < m; r++) for (let c = 0; c < k; c++) w[r * k + c] = alpha * (transB ? b.values[r * k + c] : b.values[c * m + r]);
  const cst = optConst(ctx, node, 2, 'bias C');
  let bias: Float32Array | null = null;
  if (cst) {
    const n = cst.values.length;
    if (!(n === 1 || (n === m && onesExcept(cst.dims, [cst.dims.length - 1])))) {
      refuse(node, `bias C ${fmtDims(cst.dims)} is not one value per output (${m}); the lab's dense bias is per unit, not per batch row`);
    }
    bias = Float32Array.from({ length: m }, (_, j) => beta * cst.values[n === 1 ? 0 : j]);
  }
  emitDense(ctx, node, w, m, bias);
}

function matmul(ctx: Ctx, node: DecodedNode, cur: string): void {
  if (node.input[0] !== cur) refuse(node, 'the computed tensor is its second operand; the lab imports x·W with W constant');
  const a = needFlat(ctx, node);
  const b = needConst(ctx, node, 1, 'weight');
  if (b.dims.length !== 2) refuse(node, `weight ${fmtDims(b.dims)} is not a matrix`);
  const [k, m] = b.dims;
  if (k !== a.k) refuse(node, `weight ${fmtDims(b.dims)} expects ${k} inputs, the input has ${a.k}`);
  const w = new Float32Array(m * k);
  for (let r = 0; r < m; r++) for (let c = 0; c < k; c++) w[r * k + c] = b.values[c * m + r];
  emitDense(ctx, node, w, m, null);
}

// ---------------------------------------------------------------- BatchNormalization

function batchNorm(ctx: Ctx, node: DecodedNode): void {
  const attrs = new Attrs(node);
  if (attrs.int('training_mode', 0) !== 0) refuseNotYet(node, 'BatchNormalization.training_mode', 'training_mode 1');
  if (attrs.int('spatial', 1) !== 1) refuse(node, 'spatial 0 (per-activation statistics) is not supported');
  for (const extra of node.output.slice(1)) {
    if (extra && ctx.consumers(extra) > 0) refuseNotYet(node, 'BatchNormalization.training_mode', `its running statistics output '${extra}' is used`);
  }
  const t = ctx.fold;
  if (!t) return standaloneBatchNorm(ctx, node, attrs);
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => needConst(ctx, node, i, ['scale', 'B', 'mean', 'var'][i - 1]).values);
  for (const v of [gamma, beta, mean, variance]) {
    if (v.length !== t.channels) refuse(node, `holds ${v.length} statistics for ${t.channels} channels`);
  }
  const epsilon = attrs.float('epsilon', 1e-5);
  const wName = `${t.layer.name}.weight`;
  const bName = `${t.layer.name}.bias`;
  const w = ctx.weights[wName];
  const folded = foldBatchNorm(w, t.layer.bias ? ctx.weights[bName] : null, channelOf(t.layer.kind, w.length, t.channels), {
    gamma,
    beta,
    mean,
    variance,
    epsilon,
  });
  ctx.weights[wName] = folded.weight;
  ctx.weights[bName] = folded.bias;
  t.layer.bias = true;
  ctx.report.layers.find((l) => l.name === t.layer.name)!.from.push(src(node));
  ctx.report.notes.push(`BatchNormalization '${src(node)}' (epsilon ${fmtNum(epsilon)}) was folded into '${t.layer.name}'`);
}

/**
 * A BatchNormalization with no Conv/Gemm/MatMul right before it (after the
 * input, a pool, a Relu…): on an image it is the 1×1 depthwise conv
 * weight[c] = γ/√(σ²+ε), bias[c] = β − μ·weight[c], named after the node; on
 * a flat tensor it waits to fold forward into the Gemm/MatMul after it (the
 * lab has no per-feature affine layer on vectors).
 */
function standaloneBatchNorm(ctx: Ctx, node: DecodedNode, attrs: Attrs): void {
  const a = ctx.act;
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => needConst(ctx, node, i, ['scale', 'B', 'mean', 'var'][i - 1]).values);
  const epsilon = attrs.float('epsilon', 1e-5);
  if (a.kind !== 'image') {
    // A flat tensor: fold it forward into the Gemm/MatMul that must come next (applyNode checks that one does).
    for (const v of [gamma, beta, mean, variance]) if (v.length !== a.k) refuse(node, `holds ${v.length} statistics for ${a.k} features`);
    const scale = Float64Array.from(gamma, (g, i) => g / Math.sqrt(variance[i] + epsilon));
    ctx.affine = { node, scale, shift: Float64Array.from(scale, (sc, i) => beta[i] - mean[i] * sc) };
    return;
  }
  if (a.order !== 'NCHW' && !a.lifted) refuse(node, `normalizes axis 1 of ${describe(a)}, which is not its channel axis`);
  for (const v of [gamma, beta, mean, variance]) {
    if (v.length !== a.c) refuse(node, `holds ${v.length} statistics for ${a.c} channels`);
  }
  const ones = new Float32Array(a.c).fill(1);
  const { weight, bias } = foldBatchNorm(ones, null, (i) => i, { gamma, beta, mean, variance, epsilon });
  const layer = emit(ctx, node, { kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true }, [src(node)], {
    weight,
    bias,
  });
  ctx.report.notes.push(
    `BatchNormalization '${src(node)}' (epsilon ${fmtNum(epsilon)}) has no Conv/Gemm/MatMul right before it to fold into: it became the 1×1 depthwise conv '${layer.name}' (weight γ/√(σ²+ε), bias β − μ·γ/√(σ²+ε)) on its ${a.c} channels`,
  );
}

// ---------------------------------------------------------------- elementwise by a constant

function elementwise(ctx: Ctx, node: DecodedNode, cur: string): void {
  const op = node.opType;
  const idx = node.input[0] === cur ? 1 : 0;
  const c = needConst(ctx, node, idx, 'other operand');
  const t = ctx.fold;
  if (t && (op === 'Add' || (op === 'Sub' && idx === 1))) {
    const n = c.values.length;
    const rank = c.dims.length;
    const perChannel = ctx.act.kind === 'image' ? n === t.channels && rank >= 3 && c.dims[rank - 3] === n : n === t.channels && onesExcept(c.dims, [rank - 1]);
    if (n !== 1 && !perChannel) refuse(node, `adds ${fmtDims(c.dims)}, which is not one value per channel of '${t.layer.name}'`);
    const bName = `${t.layer.name}.bias`;
    const old = t.layer.bias ? ctx.weights[bName] : new Float32Array(t.channels);
    ctx.weights[bName] = Float32Array.from(old, (v, j) => v + (op === 'Sub' ? -1 : 1) * c.values[n === 1 ? 0 : j]);
    t.layer.bias = true;
    ctx.report.layers.find((l) => l.name === t.layer.name)!.from.push(src(node));
    return;
  }
  if (ctx.started) refuse(node, `${op} by a constant inside the network is not a lab layer; the lab folds it only as the bias right after a Conv/Gemm/MatMul`);
  if (c.values.length !== 1 && !c.values.every((v) => v === c.values[0])) {
    refuseNotYet(node, 'Preprocess', `${op} by ${fmtDims(c.dims)} different values`);
  }
  const v = c.values[0];
  const p = ctx.pre;
  if (op === 'Add' || (op === 'Sub' && idx === 1)) {
    const d = op === 'Add' ? v : -v;
    p.offset += d;
    p.label = `${p.label} ${d < 0 ? '−' : '+'} ${fmtNum(Math.abs(d))}`;
    p.additive = true;
  } else if (op === 'Sub') {
    p.scale = -p.scale;
    p.offset = v - p.offset;
    p.label = `${fmtNum(v)} − ${p.additive ? `(${p.label})` : p.label}`;
    p.additive = true;
  } else if (op === 'Mul' || (op === 'Div' && idx === 1)) {
    if (op === 'Div' && v === 0) refuse(node, 'divides by zero');
    const f = op === 'Mul' ? v : 1 / v;
    p.scale *= f;
    p.offset *= f;
    p.label = `${p.additive ? `(${p.label})` : p.label} ${op === 'Mul' ? '·' : '/'} ${fmtNum(v)}`;
    p.additive = false;
  } else {
    refuseNotYet(node, 'Preprocess', 'a constant divided by the input');
  }
  p.from.push(src(node));
}

// ---------------------------------------------------------------- shape ops

function flattenTo(ctx: Ctx, node: DecodedNode): void {
  const a = ctx.act;
  if (a.kind === 'flat') {
    ctx.report.dropped.push({ name: src(node), op: node.opType, why: 'the tensor is already flat' });
    return;
  }
  emit(ctx, node, { kind: 'flatten' }, [src(node)]);
  ctx.act = { kind: 'flat', k: a.c * a.h * a.w, chw: a.order === 'NCHW' ? [a.c, a.h, a.w] : undefined };
}

function dimsOf(a: Act): number[] {
  if (a.kind === 'image' && a.lifted) return [a.c];
  return a.kind === 'flat' ? [a.k] : a.order === 'NCHW' ? [a.c, a.h, a.w] : [a.h, a.w, a.c];
}

function flatten(ctx: Ctx, node: DecodedNode): void {
  const rank = dimsOf(ctx.act).length + 1;
  const axis = new Attrs(node).int('axis', 1);
  if (axis !== 1 && axis + rank !== 1) refuse(node, `axis ${axis}: the lab flattens everything but the batch (axis 1)`);
  flattenTo(ctx, node);
}

function reshape(ctx: Ctx, node: DecodedNode): void {
  const shapeC = needConst(ctx, node, 1, 'target shape');
  const target = Array.from(shapeC.values);
  const allowZero = new Attrs(node).int('allowzero', 0) === 1;
  const dims = dimsOf(ctx.act);
  const k = dims.reduce((x, y) => x * y, 1);
  const ok =
    target.length === 2 &&
    (target[0] === -1 ? target[1] === k : (target[0] === 0 && !allowZero) || target[0] >= 1) &&
    (target[1] === -1 || target[1] === k || (target[1] === 0 && !allowZero && dims.length === 1));
  if (!ok) refuse(node, `reshapes ${describe(ctx.act)} to ${fmtDims(target)}; the lab imports Reshape only as a flatten to [N, -1] / [-1, ${k}] / [0, -1]`);
  flattenTo(ctx, node);
}

function squeeze(ctx: Ctx, node: DecodedNode): void {
  const a = ctx.act;
  const axes = ctx.opset >= 13 ? (node.input[1] ? Array.from(needConst(ctx, node, 1, 'axes').values) : null) : new Attrs(node).ints('axes', []);
  const ok = a.kind === 'image' && a.h === 1 && a.w === 1 && (axes === null || axes.length === 0 || axes.every((x) => [2, 3, -1, -2].includes(x)));
  if (!ok) refuse(node, `squeezes ${describe(a)}${axes ? ` on axes ${fmtDims(axes)}` : ''}; the lab imports Squeeze only of the 1×1 spatial axes (a flatten)`);
  flattenTo(ctx, node);
}

function transpose(ctx: Ctx, node: DecodedNode): void {
  const a = ctx.act;
  const perm = new Attrs(node).ints('perm', []).join(',');
  if (a.kind === 'image' && a.order === 'NCHW' && perm === '0,3,1,2' && !ctx.started && !ctx.inputTransposed) {
    // The graph input was NHWC all along (as tf2onnx writes): what looked like [N, C, H, W] is [N, H, W, C].
    ctx.inputShape = [a.c, a.h, a.w];
    ctx.act = { kind: 'image', c: a.w, h: a.c, w: a.h, order: 'NCHW' };
    ctx.inputTransposed = true;
    ctx.report.dropped.push({ name: src(node), op: 'Transpose', why: `the input '${ctx.inputName}' is NHWC, the lab's own layout` });
    return;
  }
  if (a.kind === 'image' && perm === (a.order === 'NCHW' ? '0,2,3,1' : '0,3,1,2')) {
    ctx.act = { ...a, order: a.order === 'NCHW' ? 'NHWC' : 'NCHW' };
    ctx.report.dropped.push({
      name: src(node),
      op: 'Transpose',
      why: `a layout change to ${ctx.act.kind === 'image' ? ctx.act.order : ''}; the lab is NHWC throughout`,
    });
    return;
  }
  if (perm === [0, ...dimsOf(a).keys()].map((_, i) => i).join(',')) {
    ctx.report.dropped.push({ name: src(node), op: 'Transpose', why: 'identity permutation' });
    return;
  }
  refuse(node, `perm [${perm}] on ${describe(a)} is not a layout conversion; the lab imports Transpose only between NHWC and NCHW`);
}

// ---------------------------------------------------------------- activations and the rest

function softmax(ctx: Ctx, node: DecodedNode): void {
  const out = node.output[0];
  if (ctx.consumers(out) > 0 || !ctx.isGraphOutput(out)) refuseNotYet(node, 'Softmax.position', 'its output feeds further nodes');
  const a = needFlat(ctx, node);
  const axis = new Attrs(node).int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis !== 1 && axis !== -1) refuse(node, `axis ${axis} on [N, ${a.k}]: the lab's softmax is over the classes (axis 1)`);
  if (a.chw && a.chw[0] > 1 && a.chw[1] * a.chw[2] > 1) {
    ctx.report.notes.push(`${node.opType} '${src(node)}' reads a flatten directly: the lab's outputs are in (h, w, c) order, ONNX's in (c, h, w) order`);
  }
  emit(ctx, node, { kind: 'softmax' }, [src(node)]);
  if (node.opType === 'LogSoftmax') {
    ctx.report.notes.push(`LogSoftmax '${src(node)}' was imported as the lab's softmax: the same argmax, but outputs are probabilities, not log-probabilities`);
  }
}

function clip(ctx: Ctx, node: DecodedNode): void {
  const attrs = new Attrs(node);
  let lo: number | undefined;
  let hi: number | undefined;
  if (ctx.opset >= 11) {
    lo = optConst(ctx, node, 1, 'min')?.values[0];
    hi = optConst(ctx, node, 2, 'max')?.values[0];
  } else {
    lo = attrs.has('min') ? attrs.float('min', 0) : undefined;
    hi = attrs.has('max') ? attrs.float('max', 0) : undefined;
  }
  if (lo === 0 && (hi === undefined || hi >= 3.4e38)) {
    emit(ctx, node, { kind: 'relu' }, [src(node)]);
    return;
  }
  if (lo === 0 && hi === 6) {
    emit(ctx, node, { kind: 'activation', fn: 'relu6' }, [src(node)]);
    return;
  }
  refuseNotYet(node, 'Clip', `min ${lo === undefined ? '−∞' : fmtNum(lo)}, max ${hi === undefined ? '+∞' : fmtNum(hi)}`);
}

function dropout(ctx: Ctx, node: DecodedNode): void {
  const mode = ctx.opset >= 12 && node.input[2] ? needConst(ctx, node, 2, 'training_mode').values[0] : 0;
  if (mode) refuse(node, 'training_mode is true: the lab imports models for inference');
  const mask = node.output[1];
  if (mask && (ctx.consumers(mask) > 0 || ctx.isGraphOutput(mask))) refuse(node, `its mask output '${mask}' is used`);
  ctx.report.dropped.push({ name: src(node), op: 'Dropout', why: 'the identity at inference' });
}

/** Applies one chain node; `cur` is the chain tensor it consumes. */
export function applyNode(ctx: Ctx, node: DecodedNode, cur: string): void {
  if (ctx.affine && !['Gemm', 'MatMul', 'Dropout', 'Identity'].includes(node.opType)) liftAffine(ctx, node);
  switch (node.opType) {
    case 'Conv':
      return conv(ctx, node);
    case 'MaxPool':
    case 'AveragePool':
      return pool(ctx, node);
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return globalPool(ctx, node);
    case 'Gemm':
      if (node.input[0] !== cur) refuse(node, 'the computed tensor is its B operand; the lab imports A·B with B constant');
      return gemm(ctx, node);
    case 'MatMul':
      return matmul(ctx, node, cur);
    case 'BatchNormalization':
      return batchNorm(ctx, node);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return elementwise(ctx, node, cur);
    case 'Relu':
      emit(ctx, node, { kind: 'relu' }, [src(node)]);
      return;
    case 'Clip':
      return clip(ctx, node);
    case 'LeakyRelu':
      emit(ctx, node, { kind: 'activation', fn: 'leakyRelu', alpha: new Attrs(node).float('alpha', 0.01) }, [src(node)]);
      return;
    case 'Sigmoid':
    case 'Tanh':
      emit(ctx, node, { kind: 'activation', fn: node.opType === 'Sigmoid' ? 'sigmoid' : 'tanh' }, [src(node)]);
      return;
    case 'Flatten':
      return flatten(ctx, node);
    case 'Reshape':
      return reshape(ctx, node);
    case 'Squeeze':
      return squeeze(ctx, node);
    case 'Transpose':
      return transpose(ctx, node);
    case 'Softmax':
    case 'LogSoftmax':
      return softmax(ctx, node);
    case 'Dropout':
      return dropout(ctx, node);
    case 'Identity':
      ctx.report.dropped.push({ name: src(node), op: 'Identity', why: 'computes nothing' });
      return;
    default:
      refuseUnknownOp(node);
  }
}
