/** An app holding keys of the user, as the console's pages show it (the keys page lists its keys). */
export interface AuthorizedApp {
  app_id: string;
  name: string;
  keys: { hash: string }[];
}

/**
 * The apps a user authorized, and app names, for the console's overview, keys, logs and activity
 * pages. The app registry belongs to oauth, which web may not import; the composition root binds
 * this port to oauth's AppsService (AppModule), as keys' PurchaseHistory is bound to credits.
 */
export abstract class AuthorizedApps {
  /** Apps holding at least one live key of the user. */
  abstract authorized(userId: string): Promise<AuthorizedApp[]>;
  /** Display names of apps by id (apps that no longer exist are left out). */
  abstract names(ids: string[]): Promise<Map<string, string>>;
}
