/** Small buffer helpers shared by the executor and the single-kernel runner. All buffers are labelled. */

/** Round a byte size up to 16 so vec4-typed bindings can cover any float count. */
export function paddedBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/** A storage buffer holding `data` (padded with zeros to 16 bytes). */
export function uploadBuffer(device: GPUDevice, label: string, data: Float32Array | Uint32Array | Int32Array, extraUsage = 0): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: paddedBytes(data.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
    mappedAtCreation: true,
  });
  const Ctor = data.constructor as Float32ArrayConstructor;
  new Ctor(buffer.getMappedRange(0, data.byteLength)).set(data as Float32Array);
  buffer.unmap();
  return buffer;
}

/** An empty storage buffer of at least `bytes` bytes. */
export function storageBuffer(device: GPUDevice, label: string, bytes: number): GPUBuffer {
  return device.createBuffer({
    label,
    size: paddedBytes(bytes),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
}

/** A uniform buffer for `count` u32 fields (rounded to 16 bytes as WGSL struct sizes are). */
export function uniformBuffer(device: GPUDevice, label: string, count: number): GPUBuffer {
  return device.createBuffer({ label, size: paddedBytes(count * 4), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
}

/** A MAP_READ staging buffer. */
export function stagingBuffer(device: GPUDevice, label: string, bytes: number): GPUBuffer {
  return device.createBuffer({ label, size: paddedBytes(bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
}

/** Copy `bytes` of `staging` out after the queue has finished; the staging buffer is unmapped again. */
export async function readStaging(staging: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  await staging.mapAsync(GPUMapMode.READ, 0, paddedBytes(bytes));
  const copy = staging.getMappedRange(0, paddedBytes(bytes)).slice(0, bytes);
  staging.unmap();
  return copy;
}
