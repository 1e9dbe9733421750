import { DynamicModule, Global, Module, ModuleMetadata, Provider } from '@nestjs/common';

type PortBinding = Provider & { provide: abstract new (...args: never[]) => unknown };

/**
 * Binds a port that a module declares (an abstract class it injects) to the class of a module it may
 * not import that implements it, at the composition root, where the binding is written down. Global
 * so the declaring module can inject the port without importing the implementing one. A binding
 * built here (`useClass`) may depend only on global infrastructure (config, database, Redis, clock,
 * logging); one that reuses a feature module's provider (`useExisting`, `useFactory`) names that
 * module in `imports`.
 */
@Global()
@Module({})
export class PortsModule {
  static forRoot(bindings: PortBinding[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return { module: PortsModule, imports, providers: bindings, exports: bindings.map((b) => b.provide) };
  }
}
