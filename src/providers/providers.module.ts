import { Module } from '@nestjs/common';
import { Adapters } from './adapters';
import { UpstreamClient } from './upstream-client';

@Module({ providers: [Adapters, UpstreamClient], exports: [Adapters, UpstreamClient] })
export class ProvidersModule {}
