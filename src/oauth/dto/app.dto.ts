/** A registered app as its owner sees it. The client secret appears once, in the creation response. */
export interface AppDto {
  client_id: string;
  name: string;
  homepage: string | null;
  redirect_uris: string[];
  confidential: boolean;
  token_endpoint_auth_method: 'none' | 'client_secret_basic';
  created_at: string;
}

export interface CreatedAppDto {
  data: AppDto;
  /** Only for confidential apps, shown once; only its SHA-256 is stored. */
  client_secret?: string;
}
