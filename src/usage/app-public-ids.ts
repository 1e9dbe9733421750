/**
 * The integer ids OpenRouter's API shows apps by (a generation's `app_id`). Records keep the app's
 * own id; the app registry belongs to oauth, which usage may not import, so the composition root
 * binds this port to oauth's AppsService (AppModule). Without a binding (a process that serves no
 * API) no app id is shown.
 */
export abstract class AppPublicIds {
  /** The app's integer id; null for an app that no longer exists. */
  abstract publicIdOf(appId: string): Promise<number | null>;
}
