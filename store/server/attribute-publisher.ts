import type { Logger } from 'pino';
import type { InternalRequest, MemberRecord } from '../../gen/bosun/store';

/** Retry interval for publishing this member's name and client URLs. */
export const PUBLISH_RETRY_MS = 500;

/** What publishing needs from its member. */
export interface PublisherHost {
  readonly id: number;
  readonly name: string;
  readonly clientUrls: readonly string[];
  /** This member's record in the replicated membership, if there is one yet. */
  record(): MemberRecord | undefined;
  hasLeader(): boolean;
  propose(req: Pick<InternalRequest, 'memberAttributes'>): Promise<unknown>;
}

/**
 * Records this member's name and client URLs in the replicated membership (as etcd publishes
 * its attributes), retrying every PUBLISH_RETRY_MS until a leader has applied them.
 * `published` resolves then — or at once when the membership already holds them.
 */
export class AttributePublisher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private markPublished!: () => void;
  readonly published: Promise<void> = new Promise((resolve) => {
    this.markPublished = resolve;
  });

  constructor(
    private readonly host: PublisherHost,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.stopped) return;
    const mine = this.host.record();
    const urls = [...this.host.clientUrls];
    if (mine && mine.name === this.host.name && mine.clientUrls.join(',') === urls.join(',')) {
      this.markPublished();
      return;
    }
    if (!this.host.hasLeader()) return this.retry();
    this.host.propose({ memberAttributes: { memberId: this.host.id, name: this.host.name, clientUrls: urls } }).then(
      () => {
        this.log.info('published member attributes');
        this.markPublished();
      },
      () => this.retry(),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private retry(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.start(), PUBLISH_RETRY_MS);
  }
}
