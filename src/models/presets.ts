/** Models the playground offers. The Hub presets arrive with the real-models work; the demo pair ships with the app. */
export interface ModelPreset {
  id: string;
  label: string;
  /** Path of the model folder under the app's base URL, ending in '/'. */
  path: string;
  role: 'student' | 'teacher';
  description: string;
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
];

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
