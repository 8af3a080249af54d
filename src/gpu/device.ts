/**
 * GPU acquisition for the browser (navigator.gpu) and Node (npm `webgpu`,
 * Dawn). Reports what the adapter offers so the executor can pick kernel
 * variants and the benchmark can say what it ran on.
 */

/** Thrown when no WebGPU adapter or device can be had; the message says what to enable. */
export class WebGPUUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `WebGPU is unavailable: ${detail}. ` +
        'In a browser use Chrome or Edge 113+ (or enable chrome://flags/#enable-unsafe-webgpu, served from http://localhost or https). ' +
        'In Node install the Debian packages libvulkan1 and chromium (for SwiftShader) and set ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json before the process starts.',
    );
    this.name = 'WebGPUUnavailableError';
  }
}

/** Thrown by the executor when the device was lost and could not be recovered. */
export class DeviceLostError extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(`GPU device lost (${reason}): ${detail}`);
    this.name = 'DeviceLostError';
  }
}

/** What the adapter is and offers; plain data (crosses the worker boundary). */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations (SwiftShader, llvmpipe, WARP): kernel variants differ. */
  software: boolean;
  features: { timestampQuery: boolean; shaderF16: boolean; subgroups: boolean };
  /** Every adapter feature name, sorted. */
  allFeatures: string[];
  wgslLanguageFeatures: { packed4x8IntegerDotProduct: boolean; all: string[] };
  /**
   * Which limits the device was created with: 'adapter' (the adapter's maxima
   * for the ones that matter) or 'default' (WebGPU's defaults, what every
   * device guarantees).
   */
  limitsMode: LimitsMode;
  /** The limits of the *device* as created. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeWorkgroupSizeX: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
  /** 'browser' or 'node' (Dawn). */
  runtime: 'browser' | 'node';
}

/** An acquired device plus what is needed to replace it after a loss. */
export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  report: AdapterReport;
  /** Resolves when this device is lost (including on `device.destroy()`). */
  lost: Promise<GPUDeviceLostInfo>;
  /** True once `lost` has resolved. */
  isLost(): boolean;
  /** The options it was acquired with, so `reacquireGpu` can repeat them. */
  options: AcquireOptions;
}

/**
 * 'adapter': request the adapter's maxima for storage-binding size, buffer
 * size, workgroup size and storage, and storage buffers per stage (the
 * default: batch-1024 inference wants big bindings); 'default': exactly
 * WebGPU's core defaults (WEBGPU_DEFAULT_LIMITS) — what every phone or laptop
 * guarantees, and what the engine's kernels are checked against
 * (src/gpu/limits.ts). On a compatibility-level adapter 'default' still means
 * core's defaults (compatibility's own are lower: 128 invocations).
 */
export type LimitsMode = 'adapter' | 'default';

/**
 * WebGPU's default limits (the spec's "Limits" table, core feature level):
 * every adapter offers at least these, and a device created without
 * `requiredLimits` has exactly these. Only the ones a compute engine can
 * touch are listed.
 */
export const WEBGPU_DEFAULT_LIMITS = {
  maxBindGroups: 4,
  maxBindingsPerBindGroup: 1000,
  maxDynamicUniformBuffersPerPipelineLayout: 8,
  maxDynamicStorageBuffersPerPipelineLayout: 4,
  maxStorageBuffersPerShaderStage: 8,
  maxUniformBuffersPerShaderStage: 12,
  maxUniformBufferBindingSize: 65536,
  maxStorageBufferBindingSize: 134217728,
  minUniformBufferOffsetAlignment: 256,
  minStorageBufferOffsetAlignment: 256,
  maxBufferSize: 268435456,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
} as const;

export type ComputeLimits = { [K in keyof typeof WEBGPU_DEFAULT_LIMITS]: number };

export interface AcquireOptions {
  /** Default 'adapter' (see LimitsMode). */
  limits?: LimitsMode;
  powerPreference?: GPUPowerPreference;
  /** Dawn toggles / backend for Node, e.g. ['backend=opengl']; ignored in browsers. */
  nodeFlags?: string[];
  /** Ask for timestamp-query when offered (default true). */
  timestamps?: boolean;
  /** 'compatibility' for Dawn's OpenGL backend (Node, `nodeFlags: ['backend=opengl']`). */
  featureLevel?: 'core' | 'compatibility';
}

let nodeGpu: Promise<GPU> | null = null;

/** Node: load Dawn once per process. The module name is a variable so bundlers never pull it in. */
async function nodeNavigatorGpu(flags: string[]): Promise<GPU> {
  nodeGpu ??= (async () => {
    const name = 'webgpu';
    let mod: { create(options: string[]): GPU; globals: object };
    try {
      mod = (await import(/* @vite-ignore */ name)) as typeof mod;
    } catch (e) {
      throw new WebGPUUnavailableError(`the npm package 'webgpu' could not be loaded (${(e as Error).message})`);
    }
    // Dawn's GPUBufferUsage, GPUMapMode… constants are not globals in Node until we put them there.
    Object.assign(globalThis, mod.globals);
    return mod.create(flags);
  })();
  try {
    return await nodeGpu;
  } catch (e) {
    nodeGpu = null;
    throw e;
  }
}

function isSoftware(info: GPUAdapterInfo, adapter: GPUAdapter): boolean {
  const s = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return fallback || /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/.test(s);
}

/**
 * Acquire an adapter and device. Requests timestamp-query when present and,
 * unless `limits: 'default'`, the adapter's maxima for storage-binding size,
 * buffer size, workgroup invocations and workgroup storage (the defaults are
 * lower than what batch-1024 inference wants; the executors chunk batches to
 * whatever the device has). Throws WebGPUUnavailableError on failure.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<Gpu> {
  const inBrowser = typeof navigator !== 'undefined' && !!(navigator as Navigator & { gpu?: GPU }).gpu;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && !inBrowser;
  let gpu: GPU;
  if (inBrowser) gpu = navigator.gpu;
  else if (isNode) {
    // Dawn's OpenGL backend opens EGL without a display server only on Mesa's surfaceless platform.
    if (options.nodeFlags?.includes('backend=opengl')) process.env.EGL_PLATFORM ??= 'surfaceless';
    gpu = await nodeNavigatorGpu(options.nodeFlags ?? []);
  } else throw new WebGPUUnavailableError('navigator.gpu is not defined in this browser');

  const adapterOptions: GPURequestAdapterOptions = {};
  if (options.powerPreference) adapterOptions.powerPreference = options.powerPreference;
  if (options.featureLevel) (adapterOptions as { featureLevel?: string }).featureLevel = options.featureLevel;
  const adapter = await gpu.requestAdapter(Object.keys(adapterOptions).length ? adapterOptions : undefined);
  if (!adapter) throw new WebGPUUnavailableError('requestAdapter() returned no adapter');

  const want: GPUFeatureName[] = [];
  if (options.timestamps !== false && adapter.features.has('timestamp-query')) want.push('timestamp-query');
  const limitsMode = options.limits ?? 'adapter';
  if (limitsMode !== 'adapter' && limitsMode !== 'default') throw new Error(`acquireGpu: limits must be 'adapter' or 'default', got ${String(limitsMode)}`);
  const al = adapter.limits;
  const requiredLimits: Record<string, number> =
    limitsMode === 'default'
      ? // Asked for explicitly: the same as asking for nothing on a core adapter, and core's defaults (not the lower compatibility ones) on a compatibility one.
        { ...WEBGPU_DEFAULT_LIMITS }
      : {
          maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
          maxBufferSize: al.maxBufferSize,
          maxComputeInvocationsPerWorkgroup: al.maxComputeInvocationsPerWorkgroup,
          maxComputeWorkgroupStorageSize: al.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupSizeX: al.maxComputeWorkgroupSizeX,
          maxStorageBuffersPerShaderStage: al.maxStorageBuffersPerShaderStage,
        };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits, label: 'compression-lab' });
  } catch (e) {
    throw new WebGPUUnavailableError(`requestDevice() failed: ${(e as Error).message}`);
  }
  let lostFlag = false;
  const lost = device.lost.then((info) => {
    lostFlag = true;
    return info;
  });

  const info = adapter.info;
  const wgsl = gpu.wgslLanguageFeatures ? [...gpu.wgslLanguageFeatures].sort() : [];
  const dl = device.limits;
  const report: AdapterReport = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftware(info, adapter),
    features: {
      timestampQuery: device.features.has('timestamp-query'),
      shaderF16: adapter.features.has('shader-f16'),
      subgroups: adapter.features.has('subgroups'),
    },
    allFeatures: [...adapter.features].map(String).sort(),
    wgslLanguageFeatures: { packed4x8IntegerDotProduct: wgsl.includes('packed_4x8_integer_dot_product'), all: wgsl },
    limitsMode,
    limits: {
      maxStorageBufferBindingSize: dl.maxStorageBufferBindingSize,
      maxBufferSize: dl.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: dl.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: dl.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupSizeX: dl.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: dl.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: dl.maxStorageBuffersPerShaderStage,
    },
    runtime: inBrowser ? 'browser' : 'node',
  };
  return { device, adapter, report, lost, isLost: () => lostFlag, options };
}

/** A fresh device after a loss (a lost adapter cannot make another device, so ask for a new adapter too). */
export function reacquireGpu(previous: Gpu): Promise<Gpu> {
  return acquireGpu(previous.options);
}

/** One line naming the adapter, for logs and benchmark records. */
export function describeAdapter(r: AdapterReport): string {
  const name = [r.vendor, r.architecture, r.device || r.description].filter(Boolean).join(' / ');
  return `${name || 'unknown adapter'}${r.software ? ' (software)' : ''} [${r.runtime}]`;
}
