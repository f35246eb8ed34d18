/**
 * Writes public/samples/drift-recovery.jsonl: a hand-made, illustrative trajectory (not
 * produced by a model) in which a tool call fails, the student drifts away from the
 * teacher for a turn, then recovers. Its log-probs are set by hand so the story is easy
 * to see; the playground loads it so the inspector shows something before any model runs.
 *
 * Run: npx tsx scripts/make-sample-trajectory.ts
 */
import { writeFileSync } from 'node:fs';

interface Piece {
  text: string;
  /** 1 = written by the student, 0 = inserted by the environment. */
  mask: 0 | 1;
  /** The student's log-prob of each token of this piece and the teacher's. */
  s: number;
  tau: number;
}

// Each piece is split on spaces into tokens; s and τ vary a little per token.
const pieces: Piece[] = [
  { text: '<think> I need 37^5 mod 1000. Let me compute it with the tool. </think>', mask: 1, s: -0.35, tau: -0.45 },
  { text: '<tool_call> {"name": "code_interpreter", "arguments": {"code": "print(pow(37, 5) % 1000"}} </tool_call> <|im_end|>', mask: 1, s: -0.3, tau: -0.55 },
  { text: '<|im_start|>user <tool_response> SyntaxError: \'(\' was never closed </tool_response> <|im_end|> <|im_start|>assistant', mask: 0, s: 0, tau: 0 },
  { text: '<think> The tool is broken, so I will guess. 37^5 is about 69 million, so the answer is probably 0. </think>', mask: 1, s: -0.4, tau: -3.1 },
  { text: '<think> Wait, that was a guess. Let me fix the parenthesis and run it again. </think>', mask: 1, s: -0.5, tau: -0.6 },
  { text: '<tool_call> {"name": "code_interpreter", "arguments": {"code": "print(pow(37, 5) % 1000)"}} </tool_call> <|im_end|>', mask: 1, s: -0.2, tau: -0.25 },
  { text: '<|im_start|>user <tool_response> 357 </tool_response> <|im_end|> <|im_start|>assistant', mask: 0, s: 0, tau: 0 },
  { text: '<think> 37^5 = 69343957, whose last three digits are 357. </think> The answer is \\boxed{357} <|im_end|>', mask: 1, s: -0.15, tau: -0.2 },
];

// Three steps: the first call (a syntax error), the drifting turn after the error (a guess,
// then a fixed call), and the final answer after the right tool output.
const tokens: string[] = [];
const mask: number[] = [];
const student: number[] = [];
const teacher: number[] = [];
pieces.forEach((piece, p) => {
  piece.text.split(' ').forEach((word, i) => {
    tokens.push((tokens.length > 0 ? ' ' : '') + word);
    mask.push(piece.mask);
    const wobble = piece.mask === 1 ? 0.05 * Math.sin(3 * i + p) : 0;
    student.push(piece.mask === 1 ? round(piece.s + wobble) : round(-1.5 + 0.1 * Math.cos(i)));
    teacher.push(piece.mask === 1 ? round(piece.tau - wobble) : round(-6 + 0.3 * Math.sin(i)));
  });
});

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

const record = {
  task_id: 'sample-drift-recovery',
  group: 'sample-drift-recovery',
  source: 'hand-made illustration (not model output): a tool error, a drifting guess, then recovery',
  question: 'What are the last three digits of 37^5?',
  answer: '357',
  correct: true,
  reward: 1,
  turns: 6,
  stop_reason: 'answer',
  tokens,
  mask,
  student_logprobs: student,
  teacher_logprobs: teacher,
  text: tokens.join(''),
};

writeFileSync(new URL('../public/samples/drift-recovery.jsonl', import.meta.url), JSON.stringify(record) + '\n');
console.log(`wrote ${tokens.length} tokens`);
