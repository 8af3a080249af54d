/*
 * step-advance — state[0] += 1: moves the trainer to the next mini-batch
 * entirely on the GPU, so the per-step kernels (gather-batch, the
 * optimizers, count-correct) find their step without a host write between
 * steps and a whole run of steps fits in one command buffer.
 *
 * Layouts: state u32 [step, …].
 * Bindings (group 0): 0 uniform Params (unused, keeps the descriptor shape) · 1 state (read_write)
 * Dispatch: one workgroup of one thread.
 */

@compute @workgroup_size(1)
fn main() {
  state[0] = state[0] + 1u + p.unused * 0u;
}
