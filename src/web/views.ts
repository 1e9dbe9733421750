import { Injectable } from '@nestjs/common';
import { Eta } from 'eta';
import { join } from 'node:path';
import { Html } from './html';

/**
 * The console's templates: Eta files under `views/` (copied next to the compiled code by the
 * build), autoescaped, compiled once. Every view is rendered into `layout.eta`.
 */
@Injectable()
export class Views {
  private readonly eta = new Eta({ views: join(__dirname, 'views'), autoEscape: true, cache: true, defaultExtension: '.eta' });

  render(name: string, data: object): Html {
    return new Html(this.eta.render(name, data));
  }
}
