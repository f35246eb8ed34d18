/** `npm run build:wasm`: compiles the CPU backend's WebAssembly kernels (kernels.wat) into kernels-wasm.ts. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernelsWat, generatedModule, generatedPath } from '../src/engine/cpu/kernels/compile-wat';

const bytes = await compileKernelsWat();
writeFileSync(generatedPath, generatedModule(bytes));
console.log(`${fileURLToPath(generatedPath)}: ${bytes.length} bytes of WebAssembly`);
