import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions, ENTITIES_GLOB } from './data-source-options';

/**
 * DataSource for the TypeORM CLI (migration:generate, migration:revert). It runs from the compiled
 * build: `npm run migration:generate -- migrations/<Name>`.
 */
export default new DataSource({
  ...dataSourceOptions(loadConfig(process.env)),
  entities: [ENTITIES_GLOB],
});
