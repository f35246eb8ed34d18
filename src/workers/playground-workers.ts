/** The main thread's side of the playground's three workers (docs/architecture.md, "Threads and workers"). */
import { PythonSandbox } from '../tools/sandbox';
import { connectWorkers } from './connect';
import type { StudentProtocol, TeacherProtocol } from './protocols';
import type { Caller } from '../core/rpc/rpc';
import { ManagedWorker } from '../core/rpc/worker-client';

/** What the store needs of the workers; tests give it in-thread handlers instead. */
export interface PlaygroundClient {
  student: Caller<StudentProtocol>;
  teacher: Caller<TeacherProtocol>;
  /** Connects the workers to each other (again after a crash restarted one); call before each use. */
  ready(): Promise<void>;
}

export class PlaygroundWorkers implements PlaygroundClient {
  readonly student = new ManagedWorker<StudentProtocol>(
    'student engine',
    () => new Worker(new URL('./student.worker.ts', import.meta.url), { type: 'module', name: 'student engine' }),
  );
  readonly teacher = new ManagedWorker<TeacherProtocol>(
    'teacher engine',
    () => new Worker(new URL('./teacher.worker.ts', import.meta.url), { type: 'module', name: 'teacher engine' }),
  );
  readonly sandbox = new PythonSandbox(
    () => new Worker(new URL('./sandbox.worker.ts', import.meta.url), { type: 'module', name: 'python sandbox' }),
  );
  private connectedAt: string | undefined;
  private disconnect: (() => void) | undefined;

  async ready(): Promise<void> {
    // Calling a crashed worker starts a fresh one, which knows nothing of the other two: reconnect all.
    const starts = `${this.student.starts}:${this.teacher.starts}`;
    if (this.student.running && this.teacher.running && this.connectedAt === starts) return;
    this.disconnect?.();
    this.disconnect = await connectWorkers(this.student, this.teacher, this.sandbox);
    this.connectedAt = `${this.student.starts}:${this.teacher.starts}`;
  }
}
