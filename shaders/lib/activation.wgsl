/*
 * The `activation` layer's functions on vec4 words, for the activation and
 * activation-backward kernels. A template: exactly one of RELU6, LEAKY,
 * SIGMOID, TANH is set (from the code constant FN). sigmoid and tanh go
 * through e^−|x|, so neither overflows (WGSL's tanh may return NaN for large
 * |x| on some drivers).
 */

fn sigmoid4(v: vec4<f32>) -> vec4<f32> {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
}

fn tanh4(v: vec4<f32>) -> vec4<f32> {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

/** f(v); alpha is leakyRelu's slope. */
fn activate(v: vec4<f32>, alpha: f32) -> vec4<f32> {
//#if RELU6
  return min(max(v, vec4<f32>(0.0)), vec4<f32>(6.0));
//#endif
//#if LEAKY
  return select(v * alpha, v, v > vec4<f32>(0.0));
//#endif
//#if SIGMOID
  return sigmoid4(v);
//#endif
//#if TANH
  return tanh4(v);
//#endif
}

/** dL/dv from dL/df at the input v (f recomputed from v). */
fn activateGrad(v: vec4<f32>, dy: vec4<f32>, alpha: f32) -> vec4<f32> {
//#if RELU6
  return select(vec4<f32>(0.0), dy, (v > vec4<f32>(0.0)) & (v < vec4<f32>(6.0)));
//#endif
//#if LEAKY
  return select(dy * alpha, dy, v > vec4<f32>(0.0));
//#endif
//#if SIGMOID
  let s = sigmoid4(v);
  return dy * s * (1.0 - s);
//#endif
//#if TANH
  let t = tanh4(v);
  return dy * (1.0 - t * t);
//#endif
}
