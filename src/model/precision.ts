/**
 * The number precision something runs in: float32, or 8-bit integers. One
 * type for the whole lab — a kernel's arithmetic, a bench row, how a stored
 * variant runs — spelled as the model file and the CLI spell it.
 */
export type Precision = 'fp32' | 'int8';
