import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../core/queue/retry-schedule.js';

/**
 * Every setting of the gateway, with its embedded default. The defaults run a complete
 * gateway on loopback with SQLite under `./var` and generated, clearly labelled test keys
 * and certificates: fit for trying it out, never for production.
 */
export interface GatewayConfig {
  /** Where the gateway keeps its data (database, generated test material). */
  dataDir: string;
  /**
   * Where the gateway keeps its state: a SQLite file (default `<dataDir>/passerelle.db`), or a
   * PostgreSQL server, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (or `postgresql://`),
   * shared by several nodes (see `postgres`).
   */
  database: string;
  /** SQLite only. `FULL`: a commit survives power loss; `NORMAL`: it survives a process crash. */
  durability: 'FULL' | 'NORMAL';
  /** PostgreSQL only (`database` is a `postgres://` URL). */
  postgres: {
    /** The schema the gateway's tables live in (created if missing); empty: the server's `search_path` (`public`). */
    schema: string;
    /** Connections in this node's pool (its line to the server, for wake-ups and health, comes on top). */
    poolSize: number;
    /** `on` (a commit is on disk before `250`), or `remote_write` / `remote_apply` with a synchronous standby. */
    synchronousCommit: 'on' | 'remote_write' | 'remote_apply';
  };
  node: {
    /**
     * This node's name, stable across its restarts and unique among the nodes sharing one
     * database: its claims carry it, and a restart lets go at once of the claims its previous
     * run left. Empty: the host name. Two nodes on one host must each be given one.
     */
    id: string;
  };
  /** Generate test keys and certificates when none are configured. Never in production. */
  testMaterial: boolean;
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
  http: {
    host: string;
    port: number;
    /** Bearer token of the directory API (`/directory`). Empty: generated into `<dataDir>/http-token` when testMaterial, else the API is off. */
    token: string;
  };
  legacy: {
    /** The network's domain (`lnp.test` in the vectors). */
    domain: string;
    /** The gateway's own subscriber LOCAL on the network. */
    gatewayLocal: string;
    /** The zone of the gateway's own address (`passerelle@<zone>.<domain>`). */
    gatewayZone: string;
    /** Folder holding `Master.YY` and `<gatewayLocal>.YY` key files. */
    keyDir: string;
    listen: {
      host: string;
      port: number;
      /** Largest accepted message, bytes (SMTP SIZE; 552 above). */
      maxSize: number;
      /** Relay addresses allowed to connect; empty: any. */
      allowedRelays: string[];
      /** PEM files for optional STARTTLS; empty: generated test certificate when testMaterial. */
      tlsKey: string;
      tlsCert: string;
    };
    relay: {
      host: string;
      port: number;
      /** AUTH PLAIN user; default the gateway LOCAL. */
      user: string;
      password: string;
      /** Refuse to submit without STARTTLS. */
      requireTls: boolean;
      /** Verify the relay's certificate. */
      verifyCertificate: boolean;
    };
  };
  mssante: {
    /** The gateway's domain in the national space: legacy subscribers' aliases live here. */
    domain: string;
    /** Value of `X-MSS-NIL` on every message. */
    nil: string;
    listen: { host: string; port: number; maxSize: number };
    /** Static routes: national domain → `host:port`, or `{ host, port, tlsName }` to name the certificate's host (tests, or where MX is not used). */
    routes: Record<string, string | { host: string; port: number; tlsName?: string }>;
    /** `mtls`: the rules of the espace de confiance (STARTTLS, certificates, trust list). `plain`: tests only. */
    transport: 'mtls' | 'plain';
    /** IGC-Santé anchors: PEM bundle or PKCS#7 `.p7b`. Empty: the test CA when testMaterial. */
    anchors: string;
    /** The gateway's certificate: a PKCS#12 file and its password, or PEM key and certificate chain. */
    identity: { pkcs12: string; password: string; key: string; cert: string };
    /** Trust list: file or https URL. Empty: a test list naming the gateway's domain when testMaterial. */
    trustList: string;
    trustListRefresh: string;
    /** CRLs of the anchors' CAs: files or http(s) URLs (DER or PEM), refreshed on `crlRefresh`. */
    crls: string[];
    crlRefresh: string;
    tls: {
      /**
       * TLS 1.2 suites (OpenSSL names, e.g. `ECDHE-RSA-AES256-SHA`) accepted by the listener and
       * offered by the client beyond the four of the rules, for a peer that needs one. Empty:
       * the rules exactly (those four and TLS 1.3). A widened setting is logged at start.
       */
      extraCiphers: string[];
    };
    smime: {
      /** Sign every message sent to operators. */
      sign: boolean;
      signature: 'rsa-pkcs1v15' | 'rsa-pss';
      /** `detached` (multipart/signed: readable without S/MIME support) or `opaque`. */
      form: 'detached' | 'opaque';
      /** Content encryption when a recipient publishes a certificate. */
      cipher: 'aes-256-cbc' | 'aes-256-gcm';
      /** Inbound RSA PKCS#1 v1.5 key transport: implicit rejection (safe) or refuse. */
      pkcs1v15: 'implicit-rejection' | 'refuse';
    };
    /**
     * Recipients' encryption certificates: a folder of PEM files, one certificate each, named
     * by address (`jean.dupont@medecin.mssante.fr.pem`) or domain (`medecin.mssante.fr.pem`),
     * or by the addresses and domains the certificate names. Empty: none (mail is encrypted
     * only for recipients whose directory entry carries a certificate). Read again every
     * `reloadEvery`; a reload that cannot read the folder keeps the previous set.
     */
    recipientCertificates: { dir: string; reloadEvery: string };
  };
  /** Static address book: interop address → national address (the directory adds more). */
  aliases: Record<string, string>;
  /** Legacy subscribers reachable from the national side before a directory is imported (full addresses). */
  legacySubscribers: string[];
  queue: {
    retry: RetryPolicy;
    /** Deliveries handed over at once. */
    concurrency: number;
    /** How long a claim (a message being processed, a delivery being sent) holds without renewal; a live node renews it every third of it, and any node reclaims it once it lapses. */
    lease: string;
    /** How often the queue looks for due deliveries when idle. */
    pollInterval: string;
    /** Worker threads that translate messages (CR-BIO, PDF, XDM…); 0 translates on the main thread. */
    translateWorkers: number;
  };
}

export const DEFAULTS: GatewayConfig = {
  dataDir: './var',
  database: '',
  durability: 'FULL',
  postgres: { schema: '', poolSize: 10, synchronousCommit: 'on' },
  node: { id: '' },
  testMaterial: true,
  log: { level: 'info' },
  http: { host: '127.0.0.1', port: 8025, token: '' },
  legacy: {
    domain: 'lnp.test',
    gatewayLocal: 'passerelle',
    gatewayZone: 'gateway',
    keyDir: '',
    listen: { host: '127.0.0.1', port: 2525, maxSize: 25 * 1024 * 1024, allowedRelays: [], tlsKey: '', tlsCert: '' },
    relay: { host: '127.0.0.1', port: 2587, user: '', password: 'test-password', requireTls: false, verifyCertificate: false },
  },
  mssante: {
    domain: 'passerelle.mssante.test',
    nil: 'Passerelle/0.1',
    listen: { host: '127.0.0.1', port: 2526, maxSize: 25 * 1024 * 1024 },
    routes: {},
    transport: 'mtls',
    anchors: '',
    identity: { pkcs12: '', password: '', key: '', cert: '' },
    trustList: '',
    trustListRefresh: '6h',
    crls: [],
    crlRefresh: '1h',
    tls: { extraCiphers: [] },
    smime: { sign: true, signature: 'rsa-pkcs1v15', form: 'detached', cipher: 'aes-256-cbc', pkcs1v15: 'implicit-rejection' },
    recipientCertificates: { dir: '', reloadEvery: '5m' },
  },
  aliases: {},
  legacySubscribers: [],
  queue: { retry: DEFAULT_RETRY_POLICY, concurrency: 16, lease: '1m', pollInterval: '1s', translateWorkers: 1 },
};
