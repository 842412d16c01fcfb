/** Run at most `n` of the given async jobs at a time (a tiny p-limit). */
export function limit(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    if (active >= n) return;
    const start = queue.shift();
    if (start) start();
  };
  return <T>(job: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        active++;
        job().then(resolve, reject).finally(() => {
          active--;
          next();
        });
      });
      next();
    });
}
