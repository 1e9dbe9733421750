import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import type { SessionPrincipal } from '../users/sessions.service';
import { SessionsService } from '../users/sessions.service';
import { UsersService } from '../users/users.service';
import { CreditsPages } from './credits-pages';
import { UsagePages } from './usage-pages';

/**
 * The console pages that gather from several places: the overview, the models list and Settings.
 * The money pages are CreditsPages', the ones built on request records UsagePages'.
 */
@Injectable()
export class ConsoleService {
  constructor(
    private readonly creditsPages: CreditsPages,
    private readonly usagePages: UsagePages,
    private readonly catalog: CatalogService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  async overview(userId: string) {
    const [limits, recent] = await Promise.all([this.creditsPages.limits(userId), this.usagePages.recent(userId)]);
    return { limits, ...recent };
  }

  models(q: string) {
    const list = this.catalog.listModels({ q: q || undefined, input_modalities: 'all', output_modalities: 'all' });
    return list.data.map((m) => ({
      id: m.id,
      name: m.name,
      context: m.context_length,
      promptPerM: Number(m.pricing.prompt) * 1e6,
      completionPerM: Number(m.pricing.completion) * 1e6,
      providers: [...new Set(this.catalog.modelEndpoints(m.id).endpoints.map((e) => e.provider_name))],
    }));
  }

  async settings(session: SessionPrincipal) {
    const [identities, sessions, hasPassword] = await Promise.all([
      this.users.identities(session.userId),
      this.sessions.list(session),
      this.users.hasPassword(session.userId),
    ]);
    return { identities, sessions, hasPassword };
  }
}
