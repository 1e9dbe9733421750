import { Controller, Get, Param, Query } from '@nestjs/common';
import { CatalogService } from './catalog.service';
import { ListModelsQuery } from './dto/list-models.query';
import type { ModelCountDto, ModelDto, ModelEndpointsDto, ModelListDto, ProviderDto, PublicEndpointDto } from './dto/model.dto';

/** OpenRouter's public model and provider listings; no key needed, as on OpenRouter. */
@Controller('api/v1')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('models')
  list(@Query() q: ListModelsQuery): ModelListDto {
    return this.catalog.listModels(q);
  }

  /** How many models `GET /models` lists for the same filters. */
  @Get('models/count')
  count(@Query() q: ListModelsQuery): { data: ModelCountDto } {
    return { data: { count: this.catalog.listModels(q).total_count } };
  }

  @Get('embeddings/models')
  embeddingModels(@Query() q: ListModelsQuery): ModelListDto {
    return this.catalog.listModels(q, 'embeddings');
  }

  @Get('providers')
  providers(): { data: ProviderDto[] } {
    return { data: this.catalog.listProviders() };
  }

  /** One model, as `GET /models` lists it (OpenRouter's SDK: `models.get`); `slug` may carry the `:free` suffix. */
  @Get('model/:author/:slug')
  model(@Param('author') author: string, @Param('slug') slug: string): { data: ModelDto } {
    return { data: this.catalog.listedModel(`${author}/${slug}`) };
  }

  /** The endpoints at zero-data-retention providers (the catalog's `data_policy.zdr`). */
  @Get('endpoints/zdr')
  zdrEndpoints(): { data: PublicEndpointDto[] } {
    return { data: this.catalog.zdrEndpoints() };
  }

  /** `slug` may carry the `:free` suffix. */
  @Get('models/:author/:slug/endpoints')
  endpoints(@Param('author') author: string, @Param('slug') slug: string): { data: ModelEndpointsDto } {
    return { data: this.catalog.modelEndpoints(`${author}/${slug}`) };
  }
}
