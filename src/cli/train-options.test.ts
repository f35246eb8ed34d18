import { describe, expect, it } from 'vitest';
import { defaultTrainingSettings } from '../agent/training/settings';
import { trainOptionHelp, trainOptionsFrom } from './train-options';

describe('sodp train options', () => {
  it('default to the playground form’s defaults: one settings object for both', () => {
    const { settings, alpha } = trainOptionsFrom({});
    expect(settings).toEqual(defaultTrainingSettings);
    expect(alpha).toBe(2 * defaultTrainingSettings.loraRank);
    expect(trainOptionHelp).toContain(
      `--lr X              AdamW learning rate (default ${defaultTrainingSettings.learningRate})`,
    );
  });

  it('read each option into its setting', () => {
    const { settings, topP } = trainOptionsFrom({
      lr: '2e-4',
      'ppo-epochs': '3',
      'ppo-mini-batch': '3',
      'eval-every': '5',
      'top-p': '0.9',
    });
    expect(settings).toMatchObject({ learningRate: 2e-4, ppoEpochs: 3, ppoMiniBatchSize: 3, evalEvery: 5 });
    expect(topP).toBe(0.9);
  });

  it('names a bad target', () => {
    expect(() => trainOptionsFrom({ targets: 'q_proj,zz' })).toThrow('--targets: zz is not one of');
  });
});
