#!/usr/bin/env node
// The `sodp` command line. The sources are TypeScript; tsx compiles them on the fly,
// so `npx sodp` works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
