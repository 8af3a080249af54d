// Node module hooks that give `import text from './x.wgsl?raw'` the meaning Vite
// gives it, so the engine's shader imports work unchanged in the CLI.
import { readFile } from 'node:fs/promises';

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('?raw')) {
    const bare = specifier.slice(0, -4);
    const r = await next(bare, context);
    return { url: `${r.url}?raw`, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return next(url, context);
}
