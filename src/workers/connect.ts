import type { ToolSandbox } from '../tools/sandbox';
import type { StudentProtocol, TeacherProtocol, ToolProtocol } from './protocols';
import { serve, type Caller } from '../core/rpc/rpc';

/**
 * Wires the three workers together: the teacher serves its scorer to the student over one
 * channel, and this thread serves the sandbox it owns (and restarts on time-outs) over another.
 * Returns a function that stops serving the sandbox.
 */
export async function connectWorkers(
  student: Caller<StudentProtocol>,
  teacher: Caller<TeacherProtocol>,
  sandbox: ToolSandbox,
): Promise<() => void> {
  const scoring = new MessageChannel();
  await teacher.call('connect', { port: scoring.port1 }, { transfer: [scoring.port1] });
  await student.call('connectTeacher', { port: scoring.port2 }, { transfer: [scoring.port2] });
  const tools = new MessageChannel();
  const stop = serve<ToolProtocol>(tools.port1, {
    run: ({ code, session }, { signal }) => sandbox.run(code, session, signal),
    endSession: async ({ session }) => {
      await sandbox.endSession(session);
      return null;
    },
  });
  tools.port1.start();
  await student.call('connectSandbox', { port: tools.port2 }, { transfer: [tools.port2] });
  return () => {
    stop();
    tools.port1.close();
  };
}
