/**
 * Per-layer and total accounting: output shape, parameters, MACs, FLOPs,
 * activation memory, estimated time and energy. Conventions follow the
 * article (docs/flops.md explains each one and where the article slips):
 * - 1 MAC = 2 FLOPs;
 * - conv2d FLOPs = 2 × kernels × window area × input depth × out H × out W;
 * - depthwise FLOPs = 2 × window area × out channels (C·M) × out H × out W;
 * - dense FLOPs = 2 × in × out;
 * - pooling FLOPs = output elements × window area (no MACs);
 * - bias adds, ReLU, flatten and softmax count 0 FLOPs (the article counts none).
 */
import type { Architecture, Layer } from './layers.ts';
import { inferShapes, sizeOf, type Shape } from './shapes.ts';

export interface LayerAccount {
  name: string;
  kind: Layer['kind'];
  inputShape: Shape;
  outputShape: Shape;
  params: number;
  macs: number;
  flops: number;
  /** Bytes of this layer's float32 output for one image. */
  activationBytes: number;
}

export interface ModelAccount {
  architecture: string;
  inputShape: Shape;
  layers: LayerAccount[];
  total: {
    params: number;
    macs: number;
    flops: number;
    /** Sum of every layer's float32 output bytes for one image (all kept, as in training). */
    activationBytes: number;
    /** Largest input+output pair: the least memory a layer-by-layer inference needs for one image. */
    peakActivationBytes: number;
  };
}

/** MACs of one layer for one image (0 for layers without multiply–accumulates). */
export function layerMacs(layer: Layer, input: Shape, output: Shape): number {
  switch (layer.kind) {
    case 'conv2d':
      return layer.filters * layer.kernel[0] * layer.kernel[1] * input[2] * output[0] * output[1];
    case 'depthwiseConv2d':
      return layer.kernel[0] * layer.kernel[1] * output[2] * output[0] * output[1];
    case 'dense':
      return input[0] * layer.units;
    default:
      return 0;
  }
}

/** FLOPs of one layer for one image, in the article's convention. */
export function layerFlops(layer: Layer, input: Shape, output: Shape): number {
  switch (layer.kind) {
    case 'maxPool2d':
    case 'avgPool2d':
      return sizeOf(output) * layer.window[0] * layer.window[1];
    default:
      return 2 * layerMacs(layer, input, output);
  }
}

/** Accounting of a whole architecture, per layer and in total. Throws ShapeError on a bad architecture. */
export function accountModel(arch: Architecture): ModelAccount {
  const inputBytes = sizeOf(arch.inputShape) * 4;
  const layers = inferShapes(arch).map((ls): LayerAccount => {
    const params = Object.values(ls.weights).reduce((a, s) => a + sizeOf(s), 0);
    return {
      name: ls.layer.name,
      kind: ls.layer.kind,
      inputShape: ls.input,
      outputShape: ls.output,
      params,
      macs: layerMacs(ls.layer, ls.input, ls.output),
      flops: layerFlops(ls.layer, ls.input, ls.output),
      activationBytes: sizeOf(ls.output) * 4,
    };
  });
  let peak = 0;
  let prev = inputBytes;
  for (const l of layers) {
    peak = Math.max(peak, prev + l.activationBytes);
    prev = l.activationBytes;
  }
  return {
    architecture: arch.name,
    inputShape: arch.inputShape.slice(),
    layers,
    total: {
      params: layers.reduce((a, l) => a + l.params, 0),
      macs: layers.reduce((a, l) => a + l.macs, 0),
      flops: layers.reduce((a, l) => a + l.flops, 0),
      activationBytes: layers.reduce((a, l) => a + l.activationBytes, 0),
      peakActivationBytes: peak,
    },
  };
}

/**
 * The article's formula 3: inference time = total FLOPs / hardware speed.
 * `flopsPerSecond` is the speed in FLOP/s (4 TFLOP/s = 4e12). Returns seconds.
 * It is a lower bound: it ignores memory traffic, launch overhead and idle units.
 */
export function estimatedSeconds(flops: number, flopsPerSecond: number): number {
  if (!(flopsPerSecond > 0)) throw new Error(`hardware speed must be a positive number of FLOP/s, got ${flopsPerSecond}`);
  return flops / flopsPerSecond;
}

/** Throughput and latency relations from the article's notes. */
export const relations = {
  /** Non-batched: throughput = 1 / latency (images/s from seconds). */
  throughputFromLatency: (latencySeconds: number) => 1 / latencySeconds,
  /** Batched: latency = batch size / throughput (seconds from images/s). */
  latencyFromThroughput: (batch: number, imagesPerSecond: number) => batch / imagesPerSecond,
};
