/*
 * int8 packing, 'dot4' variant: the hardware/driver path for adapters whose
 * WGSL has the language feature `packed_4x8_integer_dot_product`. Included
 * in every int8 kernel (the source builder hoists its `requires` directive);
 * int8-dot-shift.wgsl defines the same two functions portably, and the
 * tests run both on the same inputs.
 *
 * Packing (everywhere in the int8 path): 4 × i8 per u32, little-endian, byte
 * l = element l (channel 4·word + l), two's complement.
 */

requires packed_4x8_integer_dot_product;

/** The 4 signed bytes of `a` as i32 lanes (lane l = byte l). */
fn unpack4i8(a: u32) -> vec4<i32> {
  return unpack4xI8(a);
}

/** Σ_l a.byte[l] · b.byte[l], signed bytes, exact in i32. */
fn dot4i8(a: u32, b: u32) -> i32 {
  return dot4I8Packed(a, b);
}
