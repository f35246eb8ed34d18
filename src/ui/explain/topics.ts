/** Everything Explain mode can explain; each view shows the topics that belong to it. */
export type ExplainTopic =
  | 'step'
  | 'drift'
  | 'weight'
  | 'masked'
  | 'advantage'
  | 'opd'
  | 'models'
  | 'rollouts'
  | 'training'
  | 'export';

export interface ExplainText {
  /** A few words, shown first in bold. */
  title: string;
  /** Two to four plain sentences for a workshop audience. */
  text: string;
}

export const explainTopics: Record<ExplainTopic, ExplainText> = {
  step: {
    title: 'What is a step?',
    text:
      'A step is a run of tokens the student wrote itself: from the start of its turn, or the end of a tool’s answer, up to its next tool call. ' +
      'Tool outputs cut the trajectory into steps, so two tool calls make three steps. ' +
      'Every token of a step gets the same weight.',
  },
  drift: {
    title: 'Drift: d_k',
    text:
      'd_k is the average gap |s − τ| between the student’s and the teacher’s log-probabilities over the tokens of step k, in nats per token. ' +
      'Small means the teacher would have written much the same thing. ' +
      'A large d_k right after a bad tool result means the student has wandered off the teacher’s distribution, where the teacher’s token-by-token advice is least reliable.',
  },
  weight: {
    title: 'Step weight: w_k',
    text:
      'w_k sets how loudly the teacher speaks on step k. It is the running product of how the divergence changed from one step to the next (it comes down to (d_1 + ε)/(d_k + ε)), capped at 1 + δ, and the first step always has w = 1. ' +
      'After a drifting step the weight falls, so the teacher’s voice is turned down; when the student gets back on track it recovers, up to 1 + δ. ' +
      'ε only keeps the ratio finite, and c scales the whole teacher term.',
  },
  masked: {
    title: 'Shaded tokens: tool output',
    text:
      'Shaded tokens were inserted by the environment: the tool’s output and the chat-template text around it. ' +
      'The student did not choose them, so they get no supervision: their mask is 0, they belong to no step and their advantage is 0. ' +
      'They still shape what the student writes next.',
  },
  advantage: {
    title: 'Per-token advantage: a_t',
    text:
      'For each token the student wrote, a_t = c · w_k · (τ_t − s_t). ' +
      'Positive means the teacher liked the token more than the student did, so training makes it more likely; negative means less likely. ' +
      'When there is a reward, training adds the outcome advantage on top.',
  },
  opd: {
    title: 'OPD and SOD',
    text:
      'Plain on-policy distillation (OPD) is the same recipe with every step weight equal to 1: the teacher counts the same everywhere, even where the student has drifted far from anything the teacher would write. ' +
      'SOD turns those steps down and keeps the rest. ' +
      'Where the two lines differ is exactly where SOD changes the training signal.',
  },
  models: {
    title: 'Student and teacher',
    text:
      'The student is the small model being trained; the teacher is a larger model that only reads and scores. ' +
      'Both run in this browser tab, on the GPU through WebGPU or on the CPU for the tiny demo pair. ' +
      'The teacher never writes: for every token the student wrote, it says how likely it would have been to write it too.',
  },
  rollouts: {
    title: 'Rollouts',
    text:
      'A rollout is one attempt by the student at a problem: it thinks, may run Python code with the tool, reads the result and goes on until it gives an answer. ' +
      'The tool’s output is put into the trajectory but is not the student’s writing. ' +
      'Several rollouts of the same problem form a group, so their rewards can be compared with each other.',
  },
  training: {
    title: 'What an update does',
    text:
      'One update samples rollouts, lets the teacher score every token, computes step weights and advantages, and nudges the student’s small LoRA adapter so that tokens with a positive advantage become more likely. ' +
      'Loss is the PPO objective the optimizer lowers; reward is +1 for a right answer and a small penalty otherwise (less for having used the tool). ' +
      'KL measures how far the update moved the student from the policy that wrote the rollouts, and clip fraction is the share of tokens whose change was capped so that one update cannot move too far. ' +
      'Each batch is split into PPO mini-batches (one optimizer step each) and gone over “PPO epochs” times; the held-out chart tracks greedy accuracy on problems the student never trains on, before training, every few updates and at the end.',
  },
  export: {
    title: 'Taking results with you',
    text:
      'Trajectories export as JSONL, one per line, in the same format this inspector reads, so any number shown here can be reproduced from the file. ' +
      'Metrics export as JSONL or CSV, and the trained LoRA adapter as a PEFT adapter that other tools can load. ' +
      'The settings can also be written as overrides for the reference SOD training script, to scale a run up.',
  },
};
