/** The longest condition accepted (policies and alert rules alike). */
export const MAX_CONDITION_LENGTH = 4096;

/** Deeper expressions overflow the evaluator's stack well before MAX_CONDITION_LENGTH characters allow. */
export const MAX_EXPRESSION_DEPTH = 100;
