import { Injectable } from '@nestjs/common';

export interface PasswordResetEvent {
  userId: string;
  /** Whether anyone had proved to own the address before this reset. */
  wasVerified: boolean;
}

type Listener = (e: PasswordResetEvent) => Promise<void>;

/**
 * What other modules must do when an account changes hands. Modules that build on users (keys)
 * register here, since users cannot import them.
 */
@Injectable()
export class AccountEvents {
  private readonly resetListeners: Listener[] = [];

  onPasswordReset(listener: Listener): void {
    this.resetListeners.push(listener);
  }

  async passwordReset(e: PasswordResetEvent): Promise<void> {
    for (const listener of this.resetListeners) await listener(e);
  }
}
