/**
 * Submits sealed mail to the legacy relay (Node edge): SMTP submission with STARTTLS when
 * offered (required when configured), AUTH PLAIN with the gateway's LOCAL and password,
 * pooled connections (`adapters/smtp/raw-smtp-pool.ts`: each sealed message goes as one
 * Buffer, the envelope pipelined).
 *
 * @example
 * const submitter = new RelaySubmitter({ host: '127.0.0.1', port: 587, user: 'passerelle', password });
 * await submitter.submit(sealed); // [{ recipient, result: 'delivered', reply: '250 …' }]
 */
import type { DeliveryOutcome } from '../../core/ports/adapter.js';
import type { SealedMessage } from '../../core/model/message.js';
import { RawSmtpPool } from '../smtp/raw-smtp-pool.js';
import { outcomesFromError, outcomesFromInfo } from '../smtp/smtp-outcome.js';
import type { LegacySubmitter } from './legacy-adapter.js';

export interface RelaySubmitterOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Refuse to submit without STARTTLS. Default false (STARTTLS is used whenever offered). */
  requireTls?: boolean;
  /** Verify the relay's certificate. */
  verifyCertificate?: boolean;
  maxConnections?: number;
  timeoutMs?: number;
}

export class RelaySubmitter implements LegacySubmitter {
  private readonly pool: RawSmtpPool;

  constructor(o: RelaySubmitterOptions) {
    this.pool = new RawSmtpPool({
      host: o.host,
      port: o.port,
      requireTLS: o.requireTls ?? false,
      auth: { user: o.user, pass: o.password },
      tls: { rejectUnauthorized: o.verifyCertificate ?? false, minVersion: 'TLSv1.2' },
      maxConnections: o.maxConnections ?? 4,
      maxMessages: Infinity,
      connectionTimeout: o.timeoutMs ?? 30_000,
      greetingTimeout: o.timeoutMs ?? 30_000,
      socketTimeout: (o.timeoutMs ?? 30_000) * 2,
    });
  }

  async submit(m: SealedMessage): Promise<DeliveryOutcome[]> {
    try {
      const info = await this.pool.send({ from: m.mailFrom, to: m.recipients }, m.raw);
      return outcomesFromInfo(m.recipients, info);
    } catch (err) {
      return outcomesFromError(m.recipients, err as Error);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
