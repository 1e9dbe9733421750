/**
 * Groups calls made close together into one: the first item waits `lingerMs` for company (or
 * less, once `maxBatch` items wait), items arriving while a batch is being written form the next
 * one. Each `add` resolves or rejects with its own item's result. One batch is written at a time.
 */
export class Batcher<T, R> {
  private waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly lingerMs: number,
    private readonly maxBatch: number,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.wake?.();
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      if (this.waiting.length < this.maxBatch) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.lingerMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results[i]));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
