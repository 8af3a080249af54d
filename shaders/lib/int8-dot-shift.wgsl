/*
 * int8 packing, 'shift' variant: shift-and-mask fallback for adapters
 * without `packed_4x8_integer_dot_product`. Same two functions, same
 * results bit for bit as int8-dot-dot4.wgsl (the tests run both).
 *
 * Packing: 4 × i8 per u32, little-endian, byte l = element l.
 */

/** The 4 signed bytes of `a` as i32 lanes: shift each byte to the top, then an arithmetic shift sign-extends it. */
fn unpack4i8(a: u32) -> vec4<i32> {
  return bitcast<vec4<i32>>(vec4<u32>(a) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
}

/** Σ_l a.byte[l] · b.byte[l], signed bytes, exact in i32. */
fn dot4i8(a: u32, b: u32) -> i32 {
  let p = unpack4i8(a) * unpack4i8(b);
  return (p.x + p.y) + (p.z + p.w);
}
