import { DynamicModule, Global, Module, Provider } from '@nestjs/common';

/**
 * Binds a port that a lower module declares (an abstract class it injects) to the higher module's
 * class that implements it, at the composition root, where the binding is written down. Global so
 * the lower module can inject the port without importing the higher one (which imports it). The
 * implementation is built here, so it may depend only on global infrastructure (config, database,
 * Redis, clock, logging).
 */
@Global()
@Module({})
export class PortsModule {
  static forRoot(bindings: (Provider & { provide: abstract new (...args: never[]) => unknown })[]): DynamicModule {
    return { module: PortsModule, providers: bindings, exports: bindings.map((b) => b.provide) };
  }
}
