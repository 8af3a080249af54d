#!/usr/bin/env node
// The compression-lab CLI: the same engine as the browser worker, run by Node.
import '../scripts/node-env.mjs';

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
