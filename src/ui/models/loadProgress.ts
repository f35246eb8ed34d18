import type { LoadProgress } from '../../workers/protocols';
import { formatBytes, formatDuration } from '../common/format';

/** Seconds left of a download at the average rate so far; undefined until there is a rate and a total. */
export function secondsLeft(p: LoadProgress): number | undefined {
  // A Hub download knows its own rate (bytes already cached do not count towards it).
  if (p.secondsLeft !== undefined) return p.secondsLeft;
  if (p.phase !== 'download' || p.total <= 0 || p.done <= 0 || p.elapsedMs <= 0) return undefined;
  const bytesPerMs = p.done / p.elapsedMs;
  return Math.max(0, p.total - p.done) / bytesPerMs / 1000;
}

/** "1.2 MB of 2.5 MB · about 3 s left", "1.2 MB downloaded", "uploading tensors 12/40", an ONNX teacher's reading and session. */
export function loadProgressText(p: LoadProgress): string {
  if (p.phase === 'upload')
    return p.total > 0 ? `uploading tensors ${p.done}/${p.total}` : `uploading tensors ${p.done}`;
  if (p.phase === 'session') return `creating the onnxruntime session on ${p.device ?? 'its device'}`;
  if (p.phase === 'read')
    return `reading the stored files into onnxruntime: ${formatBytes(p.done)} of ${formatBytes(p.total)}`;
  if (p.total <= 0) return `${formatBytes(p.done)} downloaded`;
  const left = secondsLeft(p);
  // Whole seconds: a rate averaged over the load so far is no more precise than that.
  const estimate =
    left === undefined
      ? 'estimating time left'
      : left < 0.5
        ? 'almost done'
        : `about ${left < 10 ? `${Math.round(left)} s` : formatDuration(left)} left`;
  const rate = p.bytesPerSecond !== undefined && p.bytesPerSecond > 0 ? ` · ${formatBytes(p.bytesPerSecond)}/s` : '';
  return `${formatBytes(p.done)} of ${formatBytes(p.total)}${rate} · ${estimate}`;
}
