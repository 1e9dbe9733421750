import type { Provider } from '@nestjs/common';
import { Eta } from 'eta';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Html } from './html';

/** The console's shared templates, named `@layout` and `@message` in every module's views. */
const SHARED = ['layout', 'message'];

/**
 * A module's page templates: Eta files in its own `views/` folder (copied next to the compiled code
 * by the build), autoescaped, compiled once. Every view is rendered into the console's one layout,
 * `@layout` (common/html/views/layout.eta), so a page looks the same whichever module serves it.
 */
export class Views {
  private readonly eta: Eta;

  constructor(dir: string) {
    this.eta = new Eta({ views: dir, autoEscape: true, cache: true, defaultExtension: '.eta' });
    for (const name of SHARED) this.eta.loadTemplate(`@${name}`, readFileSync(join(__dirname, 'views', `${name}.eta`), 'utf8'));
  }

  render(name: string, data: object): Html {
    return new Html(this.eta.render(name, data));
  }
}

/** The Views of a module whose templates are in `dir`. */
export function viewsIn(dir: string): Provider {
  return { provide: Views, useFactory: () => new Views(dir) };
}
