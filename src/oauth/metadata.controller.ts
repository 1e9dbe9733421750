import { Controller, Get, Header } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config';
import { SUPPORTED_SCOPES } from './authorization-params';
import { PKCE_METHOD } from './pkce';

/** RFC 8414 authorization server metadata; the issuer is PUBLIC_URL, exactly. */
@Controller('.well-known')
export class MetadataController {
  constructor(private readonly config: AppConfig) {}

  @Get('oauth-authorization-server')
  @Header('cache-control', 'public, max-age=300')
  @Header('access-control-allow-origin', '*')
  metadata(): Record<string, unknown> {
    const issuer = this.config.http.publicUrl;
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: [PKCE_METHOD],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      scopes_supported: [...SUPPORTED_SCOPES],
      authorization_response_iss_parameter_supported: true,
    };
  }
}
