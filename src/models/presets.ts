/** Models the playground offers: the demo pair, which ships with the app, and real checkpoints on the Hub. */
export interface ModelPreset {
  id: string;
  label: string;
  /** Path of the model folder under the app's base URL, ending in '/' (the demo pair). */
  path?: string;
  /** A Hub id, downloaded into the page's cache (real checkpoints). */
  hubId?: string;
  role: 'student' | 'teacher';
  description: string;
  /** 'onnx': an ONNX export run by transformers.js (a teacher only); otherwise the engine runs it. */
  runtime?: 'onnx';
}

export const modelPresets: readonly ModelPreset[] = [
  {
    id: 'demo-student',
    label: 'Demo student (tiny Qwen3, 3 layers, 0.6 M parameters)',
    path: 'models/tiny-qwen3-student/',
    role: 'student',
    description: 'Trained from scratch on tool-use arithmetic; solves about 43% of held-out problems.',
  },
  {
    id: 'demo-teacher',
    label: 'Demo teacher (tiny Qwen3, 4 layers, 0.8 M parameters)',
    path: 'models/tiny-qwen3-teacher/',
    role: 'teacher',
    description: 'The same recipe, longer and wider; solves about 92% of held-out problems.',
  },
  ...hubPresets('student', [
    [
      'Qwen/Qwen3-0.6B',
      'Qwen3-0.6B',
      'The base of SOD’s 0.6B student, before its cold-start SFT; about 1.2 GB in bf16.',
    ],
    [
      'youngzhong/SOD-0.6B',
      'SOD-0.6B',
      'Released by SOD’s authors: distilled with SOD from a Qwen3-4B teacher; about 1.2 GB.',
    ],
    [
      'youngzhong/SOD-1.7B',
      'SOD-1.7B',
      'Released by SOD’s authors: distilled with SOD from a Qwen3-4B teacher; about 3.4 GB.',
    ],
    ['Qwen/Qwen3-1.7B', 'Qwen3-1.7B', 'A larger student; about 3.4 GB in bf16.'],
  ]),
  ...hubPresets('teacher', [
    ['Qwen/Qwen3-1.7B', 'Qwen3-1.7B', 'A small teacher; about 3.4 GB in bf16.'],
    ['Qwen/Qwen3-4B', 'Qwen3-4B', 'About 8 GB in bf16, 16 GB as the engine holds it in f32: a large GPU.'],
    [
      'youngzhong/SOD-GRPO_teacher-4B',
      'SOD-GRPO_teacher-4B',
      'Released by SOD’s authors: their teacher, Qwen3-4B trained with GRPO; about 8 GB in bf16.',
    ],
  ]),
  ...[
    ['onnx-community/Qwen3-0.6B-ONNX', 'Qwen3-0.6B', 'fp32 about 3 GB, q4f16 about 0.6 GB.'],
    ['onnx-community/Qwen3-1.7B-ONNX', 'Qwen3-1.7B', 'fp32 about 7 GB, q4f16 about 1.3 GB.'],
    ['onnx-community/Qwen3-4B-ONNX', 'Qwen3-4B', 'fp32 about 16 GB, q4f16 about 2.8 GB: choose a small dtype.'],
  ].map(
    ([hubId, name, sizes]): ModelPreset => ({
      id: `teacher-onnx:${hubId}`,
      label: `${name} as ONNX, on transformers.js (Hub: ${hubId})`,
      hubId,
      role: 'teacher',
      runtime: 'onnx',
      description: `Qwen3 exported to ONNX, run by onnxruntime (WebGPU, else wasm) in the dtype chosen below; ${sizes}`,
    }),
  ),
];

/** Presets for Hub checkpoints of one role: [Hub id, name, description]. */
function hubPresets(role: ModelPreset['role'], models: [string, string, string][]): ModelPreset[] {
  return models.map(([hubId, name, description]) => ({
    id: `${role}:${hubId}`,
    label: `${name} (Hub: ${hubId})`,
    hubId,
    role,
    description,
  }));
}

export function presetById(id: string): ModelPreset {
  const preset = modelPresets.find((p) => p.id === id);
  if (preset === undefined) throw new Error(`no model preset '${id}'`);
  return preset;
}

/** Task sets shipped in public/tasks/. */
export const taskSets = [
  { file: 'arithmetic-train.jsonl', label: 'Arithmetic with a tool: training set (1000)' },
  { file: 'arithmetic-test.jsonl', label: 'Arithmetic with a tool: held-out set (200)' },
  { file: 'competition.jsonl', label: 'Competition-style problems (32)' },
] as const;
export type TaskSetFile = (typeof taskSets)[number]['file'];
