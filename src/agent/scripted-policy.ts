import type { ChatTokenizer } from './chat';
import type { GenerateRequest, GeneratedToken, Policy } from '../core/policy';

/**
 * Replays written assistant turns through exactly the path a model takes: each call emits
 * the next turn's text followed by <|im_end|>, token by token. It has no probabilities, so
 * its tokens carry logprob 0 and trajectories it produces record no student_logprobs.
 */
export class ScriptedPolicy implements Policy {
  readonly name = 'scripted';
  readonly hasLogprobs = false;
  private next = 0;

  constructor(
    private readonly tokenizer: ChatTokenizer,
    private readonly turns: readonly string[],
  ) {}

  async *generate(request: GenerateRequest): AsyncGenerator<GeneratedToken> {
    const turn = this.turns[this.next++];
    if (turn === undefined)
      throw new Error(`the script has only ${this.turns.length} turn(s) but the rollout asked for another`);
    const ids = this.tokenizer.encode(`${turn}<|im_end|>`, { add_special_tokens: false });
    for (const id of ids.slice(0, request.sampling.maxNewTokens)) {
      if (request.signal?.aborted) return;
      yield { id, logprob: 0 };
    }
  }
}
