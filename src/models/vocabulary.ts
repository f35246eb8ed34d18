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

/** Throws, saying how they differ, unless the student and the teacher give every token the same id. */
export function checkSharedVocabulary(student: ModelVocabulary, teacher: ModelVocabulary): void {
  const why = (detail: string) =>
    new Error(
      `the student (${student.name}) and the teacher (${teacher.name}) do not share a vocabulary: ${detail}. The teacher scores the student's tokens by id, so both must use the same tokenizer (any two Qwen3 models do).`,
    );
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
