/**
 * Values given now or later. The in-process webhook servers and most
 * plugins answer at once; an `await` (or an async function) per plugin and
 * per webhook call would cost every write a promise and a turn of the
 * microtask queue for nothing, so admission continues synchronously until
 * something really answers later, and the chain awaits only that.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next` applied to the value, now or once it comes; a throw by `next` on a present value is thrown at once. */
export const andThen = <T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> =>
  value instanceof Promise ? value.then(next) : next(value);

/** The steps run one after another, each on the result of the one before. */
export function inSequence<T>(value: T, steps: ReadonlyArray<(value: T) => MaybePromise<T>>, from = 0): MaybePromise<T> {
  for (let i = from; i < steps.length; i++) {
    const next = steps[i](value);
    if (next instanceof Promise) return next.then((later) => inSequence(later, steps, i + 1));
    value = next;
  }
  return value;
}
