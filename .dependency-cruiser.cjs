/**
 * The layer rule of docs/architecture.md: a folder of src/ imports only folders below it.
 * Run by `npm run lint` (part of `npm test`); type-only imports count like any other.
 */

// Bottom to top; folders in one row are peers and do not import each other.
const layers = [['core'], ['sod'], ['tools', 'engine'], ['agent'], ['models'], ['workers', 'cli'], ['store'], ['ui']];

const rank = new Map(layers.flatMap((row, i) => row.map((folder) => [folder, i])));
const folders = [...rank.keys()];

const layerRules = folders.map((folder) => {
  const notBelow = folders.filter((other) => other !== folder && rank.get(other) >= rank.get(folder));
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} may import only ${folders.filter((o) => rank.get(o) < rank.get(folder)).join(', ') || 'nothing else in src'}`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${notBelow.join('|')})/` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-ui-libraries-below-the-store',
      comment: 'React, zustand and recharts belong to src/store and src/ui; the engine and the algorithm never see them.',
      severity: 'error',
      from: { path: `^src/(${folders.filter((f) => rank.get(f) < rank.get('store')).join('|')})/` },
      to: { path: '^node_modules/(react|react-dom|zustand|recharts)/' },
    },
    {
      name: 'transformers-js-only-for-onnx',
      comment:
        'transformers.js brings onnxruntime into whatever bundle imports it: only the ONNX teacher (and the CLI, and tests) may; tokenizers and chat templates use @huggingface/tokenizers and @huggingface/jinja.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: [
          '^src/models/transformers-scorer\\.ts$',
          '^src/models/onnx-teacher\\.ts$',
          '^src/models/onnx-scoring\\.ts$',
          '^src/models/onnx/',
          '^src/cli/',
          '\\.test\\.tsx?$',
        ],
      },
      // No ^: node_modules may be a link, resolved to where it really lies.
      to: { path: 'node_modules/(@huggingface/transformers|onnxruntime-(web|node|common))/' },
    },
    {
      name: 'tests-only-from-tests',
      comment: 'Test helpers under tests/ are for test files.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^tests/' },
    },
    {
      name: 'tsx-only-in-ui',
      comment: 'Only src/ui holds .tsx files: swc cannot parse them here, so elsewhere the layer rule would not see their imports.',
      severity: 'error',
      from: {},
      to: { path: '^src/(?!ui/).*\\.tsx$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    // TypeScript 7 has no JavaScript API, so swc parses; swc has no .tsx mode, so .tsx files are
    // nodes of the graph but not parsed here (Biome's noImportCycles covers cycles through them).
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: ['node_modules', '\\.tsx$'] },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.mjs', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'default'],
    },
  },
};
