import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { AppLogger } from '../logging/app-logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Why a message was not handed to an SMTP server. */
export type MailOutcome = 'sent' | 'logged' | 'not_configured' | 'failed';

/**
 * Account mail over SMTP (nodemailer), configured by `SMTP_URL`. Every send is bounded by
 * `MAIL_TIMEOUT_MS`, connection and greeting included.
 *
 * Failure behaviour: `send` never throws. It answers 'failed' (and logs a warning naming the
 * recipient's domain, never the message, which carries a one-time link) when the server refuses,
 * times out or cannot be reached; callers decide what that means (sign-up still succeeds, a reset
 * request answers the same as for an unknown address). Without `SMTP_URL` it answers
 * 'not_configured', except in `development`, where the message is written to the log ('logged') so
 * links can be followed locally; a production log never carries one.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly transport: Transporter | null;
  private readonly log: AppLogger;

  constructor(
    private readonly config: AppConfig,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'mail' });
    const { smtpUrl, timeoutMs } = config.mail;
    this.transport = smtpUrl
      ? createTransport(smtpUrl, {
          connectionTimeout: timeoutMs,
          greetingTimeout: timeoutMs,
          socketTimeout: timeoutMs,
          dnsTimeout: timeoutMs,
        } as object)
      : null;
    if (!this.transport && config.env === 'production')
      this.log.warn({}, 'SMTP_URL is not set: no address confirmation or password reset mail can be sent');
  }

  /** Whether a message goes anywhere: an SMTP server, or the log in development. */
  get delivers(): boolean {
    return this.transport !== null || this.config.env === 'development';
  }

  async send(message: MailMessage): Promise<MailOutcome> {
    if (!this.transport) {
      if (this.config.env !== 'development') return 'not_configured';
      this.log.info(
        { to: message.to, subject: message.subject, text: message.text },
        'mail not configured (SMTP_URL): the message, for development only',
      );
      return 'logged';
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.transport.sendMail({ from: this.config.mail.from, to: message.to, subject: message.subject, text: message.text }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.config.mail.timeoutMs} ms`)), this.config.mail.timeoutMs);
        }),
      ]);
      return 'sent';
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, domain: message.to.slice(message.to.lastIndexOf('@') + 1), subject: message.subject },
        'mail not sent',
      );
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
