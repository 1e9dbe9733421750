import { getQueueToken } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { AppLogger } from '../logging/app-logger';
import { ALL_QUEUES } from './queue-names';

export interface QueueStatus {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/** Knows every queue: keeps their connection errors from crashing the process and reports depth. */
@Injectable()
export class QueueHealth implements OnModuleInit {
  private queues: Queue[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    const log = this.logger.child({ component: 'queue' });
    let last = '';
    this.queues = ALL_QUEUES.map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
    for (const queue of this.queues) {
      // Without a listener an 'error' event would throw and take the process down with Redis.
      queue.on('error', (err: Error) => {
        if (err.message !== last) log.warn({ queue: queue.name, err: err.message }, 'queue error');
        last = err.message;
      });
    }
  }

  async status(): Promise<QueueStatus[]> {
    return Promise.all(
      this.queues.map(async (q) => {
        const c = await q.getJobCounts();
        return { name: q.name, waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed };
      }),
    );
  }
}
