import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationRecord } from './generation-record';

@Injectable()
export class GenerationsRepository {
  constructor(@InjectRepository(GenerationEntity) private readonly generations: Repository<GenerationEntity>) {}

  /** Inserts once: a retried or duplicated job is a no-op. */
  async insert(r: GenerationRecord): Promise<void> {
    await this.generations
      .createQueryBuilder()
      .insert()
      .values({ ...r, costNanos: BigInt(r.costNanos), holdNanos: BigInt(r.holdNanos), createdAt: new Date(r.createdAt) })
      .orIgnore()
      .execute();
  }

  findOwned(id: string, userId: string): Promise<GenerationEntity | null> {
    return this.generations.findOneBy({ id, userId });
  }
}
