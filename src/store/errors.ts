/** An error as the user reads it. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A call cancelled through its AbortSignal (not a failure). */
export function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The browser's storage ran out while a model was cached (a StorageFullError, by name: errors cross from workers as {name, message}). */
export function isStorageFull(err: unknown): boolean {
  return err instanceof Error && err.name === 'StorageFullError';
}
