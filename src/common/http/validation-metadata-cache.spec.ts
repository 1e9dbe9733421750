import { getMetadataStorage, IsInt, IsString, MetadataStorage, validateSync } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Base {
  @IsString()
  name!: string;
}

class Child extends Base {
  @IsInt()
  count!: number;
}

const child = (values: Record<string, unknown>) => Object.assign(new Child(), values);

describe('cacheValidationMetadata', () => {
  beforeAll(() => cacheValidationMetadata());

  it('answers as class-validator does, inherited rules included', () => {
    const cached = getMetadataStorage().getTargetValidationMetadatas(Child, '', false, false);
    const fresh = MetadataStorage.prototype.getTargetValidationMetadatas.call(getMetadataStorage(), Child, '', false, false);
    expect(cached.map((m) => [m.propertyName, m.type, m.name])).toEqual(fresh.map((m) => [m.propertyName, m.type, m.name]));
    expect(validateSync(child({ name: 'a', count: 1 }))).toEqual([]);
    expect(
      validateSync(child({ name: 1, count: 'x' }))
        .map((e) => e.property)
        .sort(),
    ).toEqual(['count', 'name']);
  });

  it('computes a class’s rules once per set of options', () => {
    const storage = getMetadataStorage();
    expect(storage.getTargetValidationMetadatas(Child, '', false, false)).toBe(
      storage.getTargetValidationMetadatas(Child, '', false, false),
    );
    expect(storage.getTargetValidationMetadatas(Child, '', true, false)).not.toBe(
      storage.getTargetValidationMetadatas(Child, '', false, false),
    );
    const rules = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(storage.groupByPropertyName(rules)).toBe(storage.groupByPropertyName(rules));
    expect(Object.keys(storage.groupByPropertyName(rules)).sort()).toEqual(['count', 'name']);
  });

  it('sees a rule registered after the first validation', () => {
    class Late {
      label!: unknown;
    }
    expect(validateSync(Object.assign(new Late(), { label: 5 }), { forbidUnknownValues: false })).toEqual([]);
    IsString()(Late.prototype, 'label');
    expect(validateSync(Object.assign(new Late(), { label: 5 })).map((e) => e.property)).toEqual(['label']);
  });

  it('is installed once however often it is called', () => {
    const storage = getMetadataStorage();
    const wrapped = storage.getTargetValidationMetadatas;
    cacheValidationMetadata();
    expect(storage.getTargetValidationMetadatas).toBe(wrapped);
  });
});
