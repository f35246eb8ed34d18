/**
 * Whether two models can be a student and a teacher: the teacher scores the student's
 * tokens by id, so both must read ids the same way. Compares tokenizer.json (every token of
 * the vocabulary and every added token, with its id) and config.json's vocab_size.
 */
export interface ModelVocabulary {
  /** Where it came from, for messages. */
  name: string;
  tokenizerJson: unknown;
  vocabSize: number;
}

/** Token → id of a tokenizer.json: its model's vocabulary and its added tokens. */
function tokenIds(tokenizerJson: unknown, name: string): Map<string, number> {
  const ids = new Map<string, number>();
  const json = typeof tokenizerJson === 'object' && tokenizerJson !== null ? tokenizerJson : {};
  const model = 'model' in json && typeof json.model === 'object' && json.model !== null ? json.model : {};
  const vocab = 'vocab' in model ? model.vocab : undefined;
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab))
    throw new Error(`${name}: tokenizer.json has no model.vocab`);
  for (const [token, id] of Object.entries(vocab)) if (typeof id === 'number') ids.set(token, id);
  const added = 'added_tokens' in json && Array.isArray(json.added_tokens) ? json.added_tokens : [];
  for (const t of added) {
    const entry: unknown = t;
    if (typeof entry === 'object' && entry !== null && 'content' in entry && 'id' in entry)
      if (typeof entry.content === 'string' && typeof entry.id === 'number') ids.set(entry.content, entry.id);
  }
  return ids;
}

/** A vocabulary in brief, to compare across threads: config.json's size, the tokenizer's token count and a hash of every (token, id). */
export interface VocabularySummary {
  name: string;
  vocabSize: number;
  tokens: number;
  fingerprint: string;
}

export function summarizeVocabulary({ name, tokenizerJson, vocabSize }: ModelVocabulary): VocabularySummary {
  const ids = tokenIds(tokenizerJson, name);
  let hash = 0x811c9dc5; // FNV-1a over "token\0id\0", in id order
  const entries = [...ids].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  for (const [token, id] of entries)
    for (const ch of `${token}\0${id}\0`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return { name, vocabSize, tokens: ids.size, fingerprint: hash.toString(16).padStart(8, '0') };
}

function mismatch(student: { name: string }, teacher: { name: string }, detail: string): string {
  return `the student (${student.name}) and the teacher (${teacher.name}) do not share a vocabulary: ${detail}. The teacher scores the student's tokens by id, so both must use the same tokenizer (any two Qwen3 models do).`;
}

/** Why a student and a teacher cannot be paired, from their summaries; undefined when they can. */
export function vocabularyMismatch(student: VocabularySummary, teacher: VocabularySummary): string | undefined {
  if (student.vocabSize !== teacher.vocabSize)
    return mismatch(student, teacher, `config.json's vocab_size is ${student.vocabSize} and ${teacher.vocabSize}`);
  if (student.tokens !== teacher.tokens)
    return mismatch(student, teacher, `their tokenizers have ${student.tokens} and ${teacher.tokens} tokens`);
  if (student.fingerprint !== teacher.fingerprint)
    return mismatch(student, teacher, 'their tokenizers give some tokens other ids');
  return undefined;
}

/** Throws, saying how they differ, unless the student and the teacher give every token the same id. */
export function checkSharedVocabulary(student: ModelVocabulary, teacher: ModelVocabulary): void {
  const why = (detail: string) => new Error(mismatch(student, teacher, detail));
  if (student.vocabSize !== teacher.vocabSize)
    throw why(`config.json's vocab_size is ${student.vocabSize} and ${teacher.vocabSize}`);
  const s = tokenIds(student.tokenizerJson, student.name);
  const t = tokenIds(teacher.tokenizerJson, teacher.name);
  if (s.size !== t.size) throw why(`their tokenizers have ${s.size} and ${t.size} tokens`);
  let differ = 0;
  let example = '';
  for (const [token, id] of s) {
    if (t.get(token) === id) continue;
    if (differ++ === 0) example = `${JSON.stringify(token)} is ${id} and ${t.get(token) ?? 'absent'}`;
  }
  if (differ > 0) throw why(`${differ} tokens have other ids (${example})`);
}
