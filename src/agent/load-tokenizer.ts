/** Node only: kept apart from chat.ts so the page's workers never import node:fs. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonFile } from '../core/json';
import { HfChatTokenizer } from './tokenizer';

async function readJson(folder: string, file: string): Promise<unknown> {
  const path = join(folder, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${folder}: cannot read ${file} (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseJsonFile(text, path);
}

/**
 * The tokenizer of a model folder on disk: its tokenizer.json and tokenizer_config.json. Both are
 * read at once; when either fails, the error names every file that failed, in this order, so the
 * message does not depend on which read finished first.
 */
export async function loadTokenizer(folder: string): Promise<HfChatTokenizer> {
  const [tokenizerJson, tokenizerConfig] = await Promise.allSettled([
    readJson(folder, 'tokenizer.json'),
    readJson(folder, 'tokenizer_config.json'),
  ]);
  if (tokenizerJson.status === 'fulfilled' && tokenizerConfig.status === 'fulfilled') {
    return new HfChatTokenizer(tokenizerJson.value, tokenizerConfig.value, folder);
  }
  const reasons = [tokenizerJson, tokenizerConfig].flatMap((read) =>
    read.status === 'rejected' ? [read.reason instanceof Error ? read.reason.message : String(read.reason)] : [],
  );
  throw new Error(reasons.join('; '));
}
