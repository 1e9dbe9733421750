import { buildChart, niceCeiling } from './chart';

describe('activity chart geometry', () => {
  const day = (d: number) => new Date(Date.UTC(2026, 11, d));
  const input = {
    buckets: [day(1), day(2), day(3)],
    series: [
      { name: 'a', values: [1, 0, 3] },
      { name: 'b', values: [1, 0, 3] },
    ],
    labelOf: (b: Date) => b.toISOString().slice(5, 10),
    valueLabel: (v: number) => String(v),
  };

  it('stacks the series of a bucket and scales the tallest bar to a round axis top', () => {
    const c = buildChart(input);
    expect(c.yTicks.map((t) => t.label)).toEqual(['0', '5', '10']);
    const third = c.rects.filter((r) => r.title.startsWith('12-03'));
    expect(third).toHaveLength(2);
    // b sits on a; together they are 6 of the axis' 10.
    expect(third[1].y + third[1].h).toBeCloseTo(third[0].y, 0);
    expect(third[0].h + third[1].h).toBeCloseTo((260 - 8 - 24) * 0.6, 0);
    expect(c.rects.some((r) => r.title.startsWith('12-02'))).toBe(false);
    expect(c.empty).toBe(false);
  });

  it('says when there is nothing to draw', () => {
    expect(buildChart({ ...input, series: [{ name: 'a', values: [0, 0, 0] }] }).empty).toBe(true);
  });

  it('rounds axis tops to 1, 2 or 5 times a power of ten', () => {
    expect([0.003, 7, 12, 180, 1000].map(niceCeiling)).toEqual([0.005, 10, 20, 200, 1000]);
  });
});
