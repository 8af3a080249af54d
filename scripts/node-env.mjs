// Sets up Node to run the lab's TypeScript sources directly: tsx for .ts,
// our hooks for Vite-style `?raw` imports, and the Vulkan ICD that lets Dawn
// (npm `webgpu`) use SwiftShader when no GPU driver is configured. The ICD
// variable must be set before Dawn loads, hence here and not in a module.
import { register } from 'node:module';
import { existsSync } from 'node:fs';
import { register as registerTsx } from 'tsx/esm/api';

const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;

registerTsx();
register('./raw-loader.mjs', import.meta.url);
