import { Module } from '@nestjs/common';
import { AssetsController } from './assets.controller';
import { FormCsrf } from './form-csrf';

/**
 * The HTML kit's providers for the modules that serve pages (web, oauth): the form CSRF token, and
 * the pages' stylesheets and script. The console's page plumbing (ConsolePages) and a module's
 * Views are provided by each such module, since they render that module's templates.
 */
@Module({
  controllers: [AssetsController],
  providers: [FormCsrf],
  exports: [FormCsrf],
})
export class HtmlModule {}
