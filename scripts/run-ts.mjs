#!/usr/bin/env node
// Runs a TypeScript file of the lab under Node: `node scripts/run-ts.mjs file.ts [args…]`.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import './node-env.mjs';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args…]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(file), ...rest];
await import(pathToFileURL(resolve(file)).href);
