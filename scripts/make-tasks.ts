/**
 * Writes the task sets of public/tasks/ (seeded, so the files never change unless the
 * generator does). Run: npx tsx scripts/make-tasks.ts
 */
import { writeFileSync } from 'node:fs';
import { taskFiles, tasksToJsonl } from '../src/agent/tasks/task-files';

for (const [name, make] of Object.entries(taskFiles)) {
  const tasks = make();
  writeFileSync(new URL(`../public/tasks/${name}`, import.meta.url), tasksToJsonl(tasks));
  console.log(`public/tasks/${name}: ${tasks.length} tasks`);
}
