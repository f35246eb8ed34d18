import { resolve } from 'node:path';
import type { LogprobScorer } from '../../core/policy';
import { EngineScorer } from '../../engine/inference';
import { exportDtypes, type ExportDtype } from '../../models/onnx/dtypes';
import { TransformersScorer } from '../../models/transformers-scorer';
import { numberArrayField } from '../../sod/record';
import { choiceOption, parseOptions, UsageError, type CliCommand, type CliIO } from '../command';
import {
  backendOptionHelp,
  backendOptionSpec,
  loadModelWithAdapter,
  quantizeOptionHelp,
  quantizeOptionSpec,
  withBackend,
} from '../engine-setup';
import { readJsonl, reportBadLine, writeJsonLine } from '../jsonl';
import { modelFolder, modelSourceHelp, modelSourceOptionSpec } from '../model-source';

const help = `Usage: sodp logprobs --model DIR --as student|teacher [--adapter DIR] [--input FILE] [--teacher-backend engine|onnx] [--onnx-dtype fp32|fp16|q4]

Scores every trajectory of the input JSONL (prompt_ids, response_ids) teacher-forced with
the model and adds student_logprobs or teacher_logprobs: log p(token | everything before
it) for each response token. Other fields pass through.

  --model DIR|ID         a Qwen3 model folder or Hub id
  --as ROLE              student (adds student_logprobs) or teacher (teacher_logprobs)
  --adapter DIR          a PEFT LoRA adapter folder for the model (engine only)
  --input FILE           trajectory JSONL (default: standard input)
  --teacher-backend B    engine (default) or onnx: @huggingface/transformers on
                         onnxruntime, reading DIR/onnx/model.onnx
  --onnx-dtype D         with onnx: fp32 (default, model.onnx), fp16 (model_fp16.onnx)
                         or q4 (model_q4.onnx), as 'sodp export-onnx' writes them
${backendOptionHelp}
${quantizeOptionHelp}
  --cache-dir DIR        the Hugging Face cache for Hub ids
  -h, --help             show this help

${modelSourceHelp}

A bad line is reported with its line number; good lines are still written; exit status 1.`;

async function scoreAll(scorer: LogprobScorer, field: string, input: string | undefined, io: CliIO): Promise<number> {
  let failed = false;
  for await (const line of readJsonl(input, io.stdin)) {
    try {
      if (!line.ok) throw new Error(line.error);
      const prompt = numberArrayField(line.value, 'prompt_ids');
      const response = numberArrayField(line.value, 'response_ids');
      const logprobs = await scorer.scoreTokens(prompt, response);
      await writeJsonLine(io.stdout, { ...line.value, [field]: Array.from(logprobs) });
    } catch (err) {
      reportBadLine(io.stderr, line.lineNumber, err instanceof Error ? err.message : String(err));
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

export const logprobsCommand: CliCommand = {
  name: 'logprobs',
  summary: 'add student_logprobs or teacher_logprobs to trajectory JSONL with a model',
  help,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      model: { type: 'string' },
      as: { type: 'string' },
      adapter: { type: 'string' },
      input: { type: 'string' },
      'teacher-backend': { type: 'string' },
      'onnx-dtype': { type: 'string' },
      ...modelSourceOptionSpec,
      ...backendOptionSpec,
      ...quantizeOptionSpec,
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(help + '\n');
      return 0;
    }
    if (values.model === undefined) throw new UsageError('--model DIR is required');
    if (values.as === undefined) throw new UsageError('--as student|teacher is required');
    const role = choiceOption('as', values.as, ['student', 'teacher'] as const, 'student');
    const field = role === 'student' ? 'student_logprobs' : 'teacher_logprobs';
    const engine = choiceOption('teacher-backend', values['teacher-backend'], ['engine', 'onnx'] as const, 'engine');
    const dtype = choiceOption<ExportDtype>('onnx-dtype', values['onnx-dtype'], exportDtypes, 'fp32');
    if (values['onnx-dtype'] !== undefined && engine !== 'onnx')
      throw new UsageError('--onnx-dtype applies to --teacher-backend onnx only');
    const log = (line: string) => io.stderr.write(`${line}\n`);
    const modelDir = await modelFolder(values.model, values['cache-dir'], log);
    if (engine === 'onnx') {
      if (values.adapter !== undefined) throw new UsageError('--adapter works with the engine only');
      // An absolute path is read as a folder, never taken for a Hub id.
      const scorer = await TransformersScorer.load(resolve(modelDir), {
        devices: ['cpu'],
        localFilesOnly: true,
        dtype,
      });
      log(`scoring with ${scorer.name}`);
      try {
        return await scoreAll(scorer, field, values.input, io);
      } finally {
        await scorer.dispose();
      }
    }
    if (values.quantize !== undefined && values.adapter !== undefined)
      throw new UsageError(
        '--quantize is for scoring without an adapter (a teacher); train and score adapters on f32 or f16',
      );
    return withBackend(values, log, {
      run: async (backend) => {
        const { model, lora } = await loadModelWithAdapter(backend, modelDir, values.adapter);
        return scoreAll(new EngineScorer(modelDir, model, lora), field, values.input, io);
      },
    });
  },
};
