import type { ChatMessage } from './chat';

/** Our own wording of the tool-integrated reasoning instruction: reason, compute with the tool, box the answer. */
export const solveInstruction =
  'Solve the problem below step by step. Use the code_interpreter tool to do calculations and to check your work instead of computing large numbers in your head; read the tool output before you continue. When you are sure, give the final answer as \\boxed{answer}.';

/** The messages that open a trajectory for one problem. */
export function problemMessages(question: string): ChatMessage[] {
  return [{ role: 'user', content: `${solveInstruction}\n\nProblem: ${question}` }];
}
