import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { ListModelsQuery } from '../catalog/dto/list-models.query';
import type { ModelListDto } from '../catalog/dto/model.dto';
import { ApiKeyGuard } from '../keys/api-key.guard';

/**
 * OpenRouter's `GET /models/user`: the models the caller may use, after its account's provider
 * preferences, privacy settings and guardrails. Accounts here have none of those, so it is the
 * public listing with the same filters, behind a key.
 */
@Controller('api/v1/models')
@UseGuards(ApiKeyGuard)
export class UserModelsController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('user')
  list(@Query() q: ListModelsQuery): ModelListDto {
    return this.catalog.listModels(q);
  }
}
