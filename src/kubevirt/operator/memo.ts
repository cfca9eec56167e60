/**
 * Remembered answers of pure functions of text. Every reconcile re-reads the
 * same certificates and re-dumps the same strategy; parsing and serialising
 * them again each round cost a scenario run seconds.
 */

/**
 * `fn` remembering the answers for its `limit` most recently used arguments,
 * so a process that runs many clusters stays bounded.
 */
export function memoizeByText<V>(fn: (text: string) => V, limit: number): (text: string) => V {
  // A Map iterates in insertion order; a used answer is re-inserted, so the first key is the least recently used.
  const answers = new Map<string, V>();
  return (text) => {
    const answer = answers.has(text) ? (answers.get(text) as V) : fn(text);
    answers.delete(text);
    answers.set(text, answer);
    if (answers.size > limit) answers.delete(answers.keys().next().value as string);
    return answer;
  };
}
