import { Batcher } from './batcher';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Batcher', () => {
  it('writes items added within the linger as one batch, each getting its own result', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>(async (xs) => (batches.push(xs), xs.map((x) => x * 10)), 20, 100);
    const first = b.add(1);
    await tick(5);
    const rest = [b.add(2), b.add(3)];
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('items arriving while a batch is written form the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, void>(
      async (xs) => {
        batches.push(xs);
        if (batches.length === 1) await gate;
        return xs.map(() => undefined);
      },
      1,
      100,
    );
    const first = b.add(1);
    await tick(10);
    const later = [b.add(2), b.add(3)];
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('a full batch does not wait for the linger, and batches never exceed the maximum', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, void>(async (xs) => (batches.push(xs), xs.map(() => undefined)), 60_000, 3);
    const started = Date.now();
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((x) => b.add(x)));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("a failed write rejects that batch's items only", async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      async (xs) => {
        calls++;
        if (calls === 1) throw new Error('down');
        return xs;
      },
      1,
      100,
    );
    await expect(b.add(1)).rejects.toThrow('down');
    await expect(b.add(2)).resolves.toBe(2);
  });
});
