/**
 * Qwen3's thinking mode (`enable_thinking` of its chat template) by default: on. The SOD
 * training recipe passes no chat-template arguments, and Qwen3's template then thinks; off,
 * the template writes an empty <think></think> before the answer.
 */
export const defaultThinking = true;

/** The chat-template options of a thinking mode. */
export const thinkingOptions = (thinking: boolean): Record<string, unknown> => ({ enable_thinking: thinking });
