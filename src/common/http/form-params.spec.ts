import { REPEATED, single } from './form-params';

describe('form parameters', () => {
  it('single() tells absent, one and repeated parameters apart', () => {
    expect(single({ a: 'x' }, 'a')).toBe('x');
    expect(single({ a: ['x', 'y'] }, 'a')).toBe(REPEATED);
    expect(single({}, 'a')).toBeUndefined();
    expect(single(null, 'a')).toBeUndefined();
  });
});
