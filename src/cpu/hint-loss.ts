/**
 * The L2 "hint" loss of FitNets (Romero et al. 2015) between a student's
 * intermediate activation and the teacher's activation of the same shape:
 *
 *   loss = β / (2·batch) · Σ_{n,i} (s[n,i] − t[n,i])²     dL/ds = β · (s − t) / batch
 *
 * (half the squared L2 distance per image, averaged over the batch, so that
 * the gradient has no factor 2). Float64 arithmetic, float32 gradient.
 */

/** Hint loss and its gradient with respect to the student activation. */
export function hintLoss(student: Float32Array, teacher: Float32Array, batch: number, beta: number): { loss: number; dStudent: Float32Array } {
  if (student.length !== teacher.length) {
    throw new Error(`hintLoss: student activation has ${student.length} values, teacher's has ${teacher.length}; the hint needs equal shapes`);
  }
  if (!Number.isInteger(batch) || batch <= 0 || student.length % batch !== 0) {
    throw new Error(`hintLoss: batch must be a positive integer dividing ${student.length} values, got ${batch}`);
  }
  if (!Number.isFinite(beta)) throw new Error(`hintLoss: beta must be finite, got ${beta}`);
  const d = new Float32Array(student.length);
  let sum = 0;
  for (let i = 0; i < student.length; i++) {
    const diff = student[i] - teacher[i];
    sum += diff * diff;
    d[i] = (beta * diff) / batch;
  }
  return { loss: (0.5 * beta * sum) / batch, dStudent: d };
}
