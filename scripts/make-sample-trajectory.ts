/**
 * Writes public/samples/drift-recovery.jsonl: a hand-made, illustrative trajectory (not
 * produced by a model) in which a tool call fails, the student drifts away from the
 * teacher for a turn, then recovers. Its log-probs are set by hand so the story is easy
 * to see; the playground loads it so the inspector shows something before any model runs.
 * It also carries `student_top` / `teacher_top` (each model's top-3 next tokens at every
 * position, as [text, logprob]; empty on tool output) for the inspector's token card.
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
  /** Per word, two other tokens the models consider there (empty for tool output). */
  alternatives: [string, string][];
  /** The teacher would rather write the first alternative (the drifting turn after the error). */
  teacherDisagrees?: boolean;
}

// Each piece is split on spaces into tokens; s and τ vary a little per token.
const pieces: Piece[] = [
  {
    text: '<think> I need 37^5 mod 1000. Let me compute it with the tool. </think>',
    mask: 1,
    s: -0.35,
    tau: -0.45,
    alternatives: [
      ['Okay,', 'We'],
      ['We', 'The'],
      ['want', 'must'],
      ['the', '37'],
      ['modulo', '%'],
      ['1000,', '1000'],
      ['I', 'The'],
      ['us', 'Python'],
      ['calculate', 'use'],
      ['this', '37^5'],
      ['using', 'in'],
      ['Python', 'a'],
      ['code.', 'interpreter.'],
      ['<tool_call>', 'So'],
    ],
  },
  {
    text: '<tool_call> {"name": "code_interpreter", "arguments": {"code": "print(pow(37, 5) % 1000"}} </tool_call> <|im_end|>',
    mask: 1,
    s: -0.3,
    tau: -0.55,
    alternatives: [
      ['```python', '<think>'],
      ['{ "name":', '{"tool":'],
      ['"python",', '"code",'],
      ['"args":', '"input":'],
      ['{"cmd":', '{"source":'],
      ['"print(37**5', '"x'],
      ['5))', '5'],
      ['%1000', '//'],
      ['1000)"}}', '1000")}}'],
      ['<|im_end|>', '</tool_call>'],
      ['<|endoftext|>', '<tool_call>'],
    ],
  },
  {
    text: "<|im_start|>user <tool_response> SyntaxError: '(' was never closed </tool_response> <|im_end|> <|im_start|>assistant",
    mask: 0,
    s: 0,
    tau: 0,
    alternatives: [],
  },
  {
    // After the error the teacher keeps pointing at the real fix, while the student guesses.
    text: '<think> The tool is broken, so I will guess. 37^5 is about 69 million, so the answer is probably 0. </think>',
    mask: 1,
    s: -0.4,
    tau: -3.1,
    teacherDisagrees: true,
    alternatives: [
      ['<tool_call>', 'The'],
      ['I', 'My'],
      ['call', 'code'],
      ['failed', 'call'],
      ['fine,', 'broken.'],
      ['but', 'and'],
      ['let', 'the'],
      ['should', 'can'],
      ['fix', 'estimate.'],
      ['Actually,', 'Well,'],
      ['mod', '='],
      ['large;', 'roughly'],
      ['70', '60'],
      ['million', 'billion,'],
      ['but', 'and'],
      ['I', 'its'],
      ['last', 'result'],
      ['needs', 'must'],
      ['not', 'likely'],
      ['unknown.', '7.'],
      ['Wait,', 'Hmm,'],
    ],
  },
  {
    text: '<think> Wait, that was a guess. Let me fix the parenthesis and run it again. </think>',
    mask: 1,
    s: -0.5,
    tau: -0.6,
    alternatives: [
      ['<tool_call>', 'Hmm,'],
      ['Actually,', 'No,'],
      ['this', 'guessing'],
      ['is', 'seems'],
      ['just', 'not'],
      ['guess,', 'mistake.'],
      ['I', 'The'],
      ['us', 'me,'],
      ['add', 'check'],
      ['a', 'my'],
      ['code', 'bracket'],
      ['first', 'then'],
      ['call', 'try'],
      ['the', 'that'],
      ['again', 'once'],
      ['<tool_call>', 'So'],
    ],
  },
  {
    text: '<tool_call> {"name": "code_interpreter", "arguments": {"code": "print(pow(37, 5) % 1000)"}} </tool_call> <|im_end|>',
    mask: 1,
    s: -0.2,
    tau: -0.25,
    alternatives: [
      ['```python', '<think>'],
      ['{ "name":', '{"tool":'],
      ['"python",', '"code",'],
      ['"args":', '"input":'],
      ['{"cmd":', '{"source":'],
      ['"print(37**5', '"x'],
      ['5))', '5'],
      ['%1000', '//'],
      ['1000"}}', '1000))"}}'],
      ['<|im_end|>', '</tool_call>'],
      ['<|endoftext|>', '<tool_call>'],
    ],
  },
  {
    text: '<|im_start|>user <tool_response> 957 </tool_response> <|im_end|> <|im_start|>assistant',
    mask: 0,
    s: 0,
    tau: 0,
    alternatives: [],
  },
  {
    text: '<think> 37^5 = 69343957, whose last three digits are 957. </think> The answer is \\boxed{957} <|im_end|>',
    mask: 1,
    s: -0.15,
    tau: -0.2,
    alternatives: [
      ['The', 'So'],
      ['The', 'So'],
      ['is', 'equals'],
      ['69343957.', '69,343,957,'],
      ['so', 'and'],
      ['final', 'remainder'],
      ['3', 'digits'],
      ['digits,', 'are'],
      ['is', 'give'],
      ['957,', '957'],
      ['So', 'The'],
      ['**Answer:**', 'So'],
      ['last', 'result'],
      ['is:', '='],
      ['957.', '$\\boxed{957}$'],
      ['<|endoftext|>', '.'],
    ],
  },
];

// Three steps: the first call (a syntax error), the drifting turn after the error (a guess,
// then a fixed call), and the final answer after the right tool output.
const tokens: string[] = [];
const mask: number[] = [];
const student: number[] = [];
const teacher: number[] = [];
const studentTop: [string, number][][] = [];
const teacherTop: [string, number][][] = [];
pieces.forEach((piece, p) => {
  const words = piece.text.split(' ');
  if (piece.mask === 1 && piece.alternatives.length !== words.length) {
    throw new Error(`piece ${p}: ${words.length} words but ${piece.alternatives.length} alternatives`);
  }
  words.forEach((word, i) => {
    const space = tokens.length > 0 ? ' ' : '';
    tokens.push(space + word);
    mask.push(piece.mask);
    const wobble = piece.mask === 1 ? 0.05 * Math.sin(3 * i + p) : 0;
    const s = piece.mask === 1 ? round(piece.s + wobble) : round(-1.5 + 0.1 * Math.cos(i));
    const tau = piece.mask === 1 ? round(piece.tau - wobble) : round(-6 + 0.3 * Math.sin(i));
    student.push(s);
    teacher.push(tau);
    if (piece.mask === 0) {
      studentTop.push([]);
      teacherTop.push([]);
      return;
    }
    // The written token keeps its own log-prob; the rest of the probability goes to the alternatives.
    const [a, b] = piece.alternatives[i].map((alt) => space + alt);
    const restS = 1 - Math.exp(s);
    studentTop.push(top3([space + word, s], [a, Math.log(0.6 * restS)], [b, Math.log(0.2 * restS)]));
    const restT = 1 - Math.exp(tau);
    teacherTop.push(
      piece.teacherDisagrees
        ? top3([space + word, tau], [a, Math.log(0.72)], [b, Math.log(0.3 * (restT - 0.72))])
        : top3([space + word, tau], [a, Math.log(0.6 * restT)], [b, Math.log(0.2 * restT)]),
    );
  });
});

/** Most likely first, log-probs rounded like the rest of the file. */
function top3(...entries: [string, number][]): [string, number][] {
  return entries.map(([text, lp]): [string, number] => [text, round(lp)]).sort((x, y) => y[1] - x[1]);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

const record = {
  task_id: 'sample-drift-recovery',
  group: 'sample-drift-recovery',
  source: 'hand-made illustration (not model output): a tool error, a drifting guess, then recovery',
  question: 'What are the last three digits of 37^5?',
  answer: '957',
  correct: true,
  reward: 1,
  turns: 6,
  stop_reason: 'answer',
  tokens,
  mask,
  student_logprobs: student,
  teacher_logprobs: teacher,
  student_top: studentTop,
  teacher_top: teacherTop,
  text: tokens.join(''),
};

writeFileSync(new URL('../public/samples/drift-recovery.jsonl', import.meta.url), JSON.stringify(record) + '\n');
console.log(`wrote ${tokens.length} tokens`);
