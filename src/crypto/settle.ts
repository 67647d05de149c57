/** Runs a synchronous step behind an async API: a throw becomes a rejection, never a synchronous throw. */
export const settle = <T>(step: () => T): Promise<T> => new Promise((resolve) => resolve(step()));
