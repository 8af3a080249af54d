/*
 * pool2d-backward — dL/dx of a max or average pool (floor mode, optional pads),
 * as a gather: each thread owns one input element and sums the gradients of
 * every window that covers it, windows in ascending (oy, ox) order. Scatter
 * with atomics would make float sums order-dependent; this is deterministic.
 *
 *   max: dx[n, iy, ix, c] = Σ_{windows W ∋ (iy, ix)} dy[n, W, c] · [argmax(W) = (iy, ix)]
 *        argmax = the first maximum in scan order (row, then column); NaN wins
 *        over numbers, the first NaN over later ones (src/cpu/pool2d.ts).
 *   avg: dx[n, iy, ix, c] = Σ_{windows W ∋ (iy, ix)} dy[n, W, c] / count(W)
 *   count(W) = winH·winW (p.incl = 1) or W's in-image taps. Windows are in
 *   padded coordinates (row oy covers oy·sh − padT …); padded taps are no
 *   input (the max skips them). Inputs no window covers (floor mode) get 0.
 *
 * Layouts: x NHWC [n, h, w, c] (the pool's input; max only); dy NHWC
 * [n, oh, ow, c]; dx NHWC [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 dx (read_write)
 * Dispatch: one thread per input element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 *
 * DISJOINT = 1 (no pads, stride == window and the windows tile the input exactly, as in
 * LeNet's 2×2/2 pools): each input belongs to exactly one window, so one
 * thread per OUTPUT element (i indexes dy) finds its window's first maximum
 * once and writes all winH·winW inputs of the window — the same values as the
 * gather (the one sum has one term), without recomputing the argmax per input.
 *
 * VEC4 (code constant; c % 4 == 0): the same body on words of 4 channels (x,
 * dy and dx bound as vec4 arrays, p.c counting words); the argmax is kept
 * per lane with `select`, so each channel's first maximum is its own.
 * Comparisons use `|`/`&`, which serve scalars and vectors alike.
 */
/** 0: max, 1: average. */
override AVG: u32 = 0u;
/** 1: non-overlapping windows that tile the input; the dispatch covers dy, not dx. */
override DISJOINT: u32 = 0u;

//#if VEC4
alias F = vec4<f32>;
alias U = vec4<u32>;
//#else
alias F = f32;
alias U = u32;
//#endif
const NONE: u32 = 0xffffffffu;

/** Whether v replaces best as a window's first maximum: the first tap, a larger value, or the first NaN. */
fn better(at: U, v: F, best: F) -> U {
  return select(U(0u), U(1u), (at == U(NONE)) | (v > best) | ((v != v) & (best == best)));
}

/** First output index whose window (size win, stride s) reaches i: ceil((i − win + 1) / s), at least 0. */
fn firstWindow(i: u32, win: u32, s: u32) -> u32 {
  if (i + 1u < win) {
    return 0u;
  }
  return (i + 1u - win + s - 1u) / s;
}

/** DISJOINT: output element i = ((n·oh + oy)·ow + ox)·c + ch writes its whole window of dx. */
fn disjointWindow(i: u32) {
  let el = nhwc(i, p.oh, p.ow, p.c);
  let g = dy[i];
  let base = ((el.n * p.h + el.y * p.sh) * p.w + el.x * p.sw) * p.c + el.c;
  if (AVG == 1u) {
    let v = g / F(f32(p.winH * p.winW));
    for (var wy = 0u; wy < p.winH; wy++) {
      for (var wx = 0u; wx < p.winW; wx++) {
        dx[base + (wy * p.w + wx) * p.c] = v;
      }
    }
    return;
  }
  // The first maximum in scan order, as in the gather below and src/cpu/pool2d.ts.
  var best = F(0.0);
  var at = U(NONE);
  for (var wy = 0u; wy < p.winH; wy++) {
    for (var wx = 0u; wx < p.winW; wx++) {
      let j = base + (wy * p.w + wx) * p.c;
      let v = x[j];
      let take = better(at, v, best) == U(1u);
      best = select(best, v, take);
      at = select(at, U(j), take);
    }
  }
  for (var wy = 0u; wy < p.winH; wy++) {
    for (var wx = 0u; wx < p.winW; wx++) {
      let j = base + (wy * p.w + wx) * p.c;
      dx[j] = select(F(0.0), g, U(j) == at);
    }
  }
}

/** In-image rows (or columns) [x, y) of window o along one axis. */
fn span(o: u32, s: u32, pad: u32, win: u32, size: u32) -> vec2<u32> {
  let start = i32(o * s) - i32(pad);
  return vec2<u32>(u32(max(start, 0)), u32(min(start + i32(win), i32(size))));
}

fn body(i: u32) {
  if (DISJOINT == 1u) {
    disjointWindow(i);
    return;
  }
  let el = nhwc(i, p.h, p.w, p.c);
  let yy = el.y + p.padT;
  let xx = el.x + p.padL;
  let oy1 = min(yy / p.sh + 1u, p.oh);
  let ox1 = min(xx / p.sw + 1u, p.ow);
  var acc = F(0.0);
  for (var oy = firstWindow(yy, p.winH, p.sh); oy < oy1; oy++) {
    let rows = span(oy, p.sh, p.padT, p.winH, p.h);
    for (var ox = firstWindow(xx, p.winW, p.sw); ox < ox1; ox++) {
      let cols = span(ox, p.sw, p.padL, p.winW, p.w);
      let g = dy[((el.n * p.oh + oy) * p.ow + ox) * p.c + el.c];
      if (AVG == 1u) {
        acc += g / F(f32(select((rows.y - rows.x) * (cols.y - cols.x), p.winH * p.winW, p.incl == 1u)));
      } else {
        // Recompute this window's first maximum; the gradient is ours if it is us.
        var best = F(0.0);
        var at = U(NONE);
        for (var iy = rows.x; iy < rows.y; iy++) {
          for (var ix = cols.x; ix < cols.y; ix++) {
            let j = ((el.n * p.h + iy) * p.w + ix) * p.c + el.c;
            let v = x[j];
            let take = better(at, v, best) == U(1u);
            best = select(best, v, take);
            at = select(at, U(j), take);
          }
        }
        acc += select(F(0.0), g, at == U(i));
      }
    }
  }
  dx[i] = acc;
}
