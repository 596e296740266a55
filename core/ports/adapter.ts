import type { Envelope } from '../model/envelope.js';
import type { NetworkId } from '../model/network.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../model/message.js';

/** The outcome of handing a sealed message to a network, one entry per recipient. */
export interface DeliveryOutcome {
  recipient: string;
  /** `delivered`: the peer said 250. `temporary`: try again later. `permanent`: give up. */
  result: 'delivered' | 'temporary' | 'permanent';
  /** The peer's reply (or the local error) as an SMTP reply line. Never holds patient data. */
  reply: string;
}

/** A failure report to the original sender, written in the sender's network's own form. */
export interface FailureNotice {
  /** The envelope of the message that failed. */
  original: Envelope;
  /** The original message's Message-ID (for the notice's references). */
  originalMessageId: string | null;
  /** The address the notice goes to (the original envelope sender). */
  to: string;
  /** Each failed recipient with its reply line. */
  failures: { recipient: string; reply: string }[];
  /** Why, in words safe to send across networks. */
  reason: string;
  /** The original message as received (for the notice's headers part). */
  originalRaw?: Uint8Array;
}

/** What became of a message that asked for a disposition notification (MDN). */
export interface DispositionRequest {
  original: Envelope;
  originalRaw: Uint8Array;
  /** The recipient the disposition is about, as the sender wrote it. */
  recipient: string;
  disposition: 'processed' | 'processed/error';
  /** For `processed/error`: why, in words safe to send. */
  errorText?: string;
}

/**
 * What every network adapter provides. The pipeline speaks only this contract; the shared
 * contract suite in `test/contract/` runs against every adapter.
 *
 * Listeners (SMTP servers) are not part of the contract: they live at the Node edge of each
 * adapter and hand raw messages to the pipeline through `Gateway.accept`.
 */
export interface NetworkAdapter {
  readonly network: NetworkId;

  /** The gateway's own address on this network: the author of the notices it relays or writes. */
  readonly ownAddress: string;

  /** Is this address one the adapter reaches on its network (syntax and domain)? */
  isNetworkAddress(address: string): boolean;

  /**
   * Read a raw message received from this network: parse, verify, decrypt.
   * Throws a `GatewayError` (`CANNOT_OPEN`, `DECRYPT_FAILED`, …) when it cannot.
   */
  open(raw: Uint8Array, envelope: Envelope): Promise<OpenedMessage>;

  /** Write a message in this network's wire form (encrypt, sign, encode). */
  seal(message: OutboundMessage): Promise<SealedMessage>;

  /** Hand a sealed message to the network. Never throws for a peer's refusal: reports it. */
  deliver(message: SealedMessage): Promise<DeliveryOutcome[]>;

  /** Write a failure notice for a sender on this network (a DSN, a sealed French notice…). */
  failureNotice(notice: FailureNotice): Promise<OutboundMessage>;

  /**
   * Write the disposition notification (MDN) a sender on this network asked for, once its
   * message was handed to the other network; null when none is due (none asked, or the
   * original is itself a notification). Networks without MDNs leave it out.
   */
  dispositionNotice?(request: DispositionRequest): Promise<OutboundMessage | null>;

  /** Release connections and timers. */
  close(): Promise<void>;
}
