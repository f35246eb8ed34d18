import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonFile } from '../core/json';
import { checkSharedVocabulary } from '../models/vocabulary';
import { parseHubModelId } from '../models/hub';
import { hubModelFolder, hubSettingsFromEnv } from '../models/hub-cache';
import { UsageError, type OptionSpec } from './command';

export const modelSourceOptionSpec = { 'cache-dir': { type: 'string' } } as const satisfies OptionSpec;
export const modelSourceHelp = `A model is a folder, or a Hub id (owner/name or owner/name@revision) fetched into the
Hugging Face cache: --cache-dir DIR, else HF_HUB_CACHE or $HF_HOME/hub (~/.cache/huggingface/hub).
HF_ENDPOINT names another Hub (a mirror); HF_HUB_OFFLINE=1 uses the cache only.`;

/**
 * The folder of a model given as a path or a Hub id. @huggingface/hub announces each download
 * with console.debug, which Node writes to standard output, sodp's data channel: while it
 * runs, that goes to `log` (standard error) instead.
 */
export async function modelFolder(
  spec: string,
  cacheDir: string | undefined,
  log: (line: string) => void,
  metadataOnly = false,
): Promise<string> {
  if (existsSync(spec)) return spec;
  const id = parseHubModelId(spec);
  if (id === undefined) throw new UsageError(`${spec}: no such folder, and not a Hub id (owner/name[@revision])`);
  const debug = console.debug;
  console.debug = (...args: unknown[]) => log(args.map(String).join(' '));
  try {
    const folder = await hubModelFolder(id, { ...hubSettingsFromEnv(), cacheDir, metadataOnly });
    log(`${spec}: ${folder}`);
    return folder;
  } finally {
    console.debug = debug;
  }
}

/** Refuses a student and a teacher whose tokenizers give tokens different ids (read from their folders). */
export async function checkPair(studentDir: string, teacherDir: string): Promise<void> {
  const read = async (dir: string) => {
    const json = async (file: string): Promise<unknown> =>
      parseJsonFile(await readFile(join(dir, file), 'utf8'), join(dir, file));
    const config = await json('config.json');
    const vocabSize =
      typeof config === 'object' && config !== null && 'vocab_size' in config ? Number(config.vocab_size) : Number.NaN;
    return { name: dir, tokenizerJson: await json('tokenizer.json'), vocabSize };
  };
  checkSharedVocabulary(await read(studentDir), await read(teacherDir));
}
