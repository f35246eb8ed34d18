/** The student worker's views of the teacher and the sandbox, which live in other workers. */
import type { LogprobScorer } from '../core/policy';
import type { ToolRun, ToolSandbox } from '../tools/sandbox';
import type { ScorerProtocol, TokenAlternatives, ToolProtocol } from './protocols';
import { RpcClient, type Protocol } from '../core/rpc/rpc';

/** Opens a client on a transferred MessagePort (a port delivers nothing until started). */
export function portClient<P extends Protocol>(port: MessagePort): RpcClient<P> {
  const client = new RpcClient<P>(port);
  port.start();
  return client;
}

/** The teacher, scoring over its port. */
export class RemoteScorer implements LogprobScorer {
  constructor(
    readonly name: string,
    private readonly client: RpcClient<ScorerProtocol>,
  ) {}

  async scoreTokens(
    promptIds: readonly number[],
    responseIds: readonly number[],
    signal?: AbortSignal,
  ): Promise<Float64Array> {
    try {
      return Float64Array.from(
        await this.client.call('score', { promptIds: [...promptIds], responseIds: [...responseIds] }, { signal }),
      );
    } catch (err) {
      if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) throw err;
      // Said from the student's side, where the update fails: which model failed, on what.
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`the ${this.name} could not score a response of ${responseIds.length} tokens: ${reason}`, {
        cause: err,
      });
    }
  }

  alternatives(
    promptIds: readonly number[],
    responseIds: readonly number[],
    k: number,
    signal?: AbortSignal,
  ): Promise<TokenAlternatives> {
    return this.client.call(
      'alternatives',
      { promptIds: [...promptIds], responseIds: [...responseIds], k },
      { signal },
    );
  }
}

/** The Python sandbox the main thread owns, called over its port. */
export class RemoteSandbox implements ToolSandbox {
  constructor(private readonly client: RpcClient<ToolProtocol>) {}

  run(code: string, session: string, signal?: AbortSignal): Promise<ToolRun> {
    return this.client.call('run', { code, session }, { signal });
  }

  async endSession(session: string): Promise<void> {
    await this.client.call('endSession', { session });
  }
}
