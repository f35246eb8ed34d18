/** One problem of a task set (a line of public/tasks/*.jsonl). */
export interface Task {
  id: string;
  question: string;
  /** The reference answer, compared by value. */
  answer: string;
  /** Where it comes from: 'synthetic-arithmetic', 'sod-playground-competition', … */
  source: string;
}

/** Parses task JSONL, naming the line and field of anything wrong. */
export function parseTasks(text: string, fileName = 'tasks'): Task[] {
  const tasks: Task[] = [];
  // Editors on Windows may save a byte-order mark, which JSON.parse refuses and nobody can see.
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new Error(
        `${fileName} line ${i + 1}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`${fileName} line ${i + 1}: expected a JSON object`);
    const record = Object.fromEntries(Object.entries(value));
    const field = (name: string) => {
      const v = record[name];
      if (typeof v === 'number') return String(v);
      if (typeof v !== 'string' || v === '')
        throw new Error(`${fileName} line ${i + 1}: ${name} must be a non-empty string`);
      return v;
    };
    tasks.push({
      id: field('id'),
      question: field('question'),
      answer: field('answer'),
      source: typeof record.source === 'string' ? record.source : 'unknown',
    });
  });
  return tasks;
}
