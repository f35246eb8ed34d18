import type { CachedModel } from '../../src/models/opfs-store';
import type { ModelCacheService } from '../../src/store/models/types';

/** A model cache in memory for store tests: `models` are listed until removed; persistence is granted when `grant`. */
export function fakeModelCache(models: CachedModel[] = [], grant = true): ModelCacheService & { persisted: boolean } {
  const cache = {
    persisted: false,
    list: async () => models.map((m) => ({ ...m })),
    remove: async (repo: string) => {
      const i = models.findIndex((m) => m.repo === repo);
      if (i < 0) throw new Error(`${repo} is not cached`);
      models.splice(i, 1);
    },
    storage: async () => ({ usage: models.reduce((n, m) => n + m.bytes, 0), quota: 10e9, persisted: cache.persisted }),
    persist: async () => {
      cache.persisted = grant;
      return grant;
    },
  };
  return cache;
}
