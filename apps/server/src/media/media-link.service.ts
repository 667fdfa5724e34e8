import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { ForbiddenError, UnauthorizedError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { MediaLinkCredentials, MediaLinkSigner, MediaReader } from './media-link.signer';
import { MediaService } from './media.service';

/** A short-lived URL for `<video src>` / `<img src>`, which cannot send an Authorization header. */
export interface MediaLinkView {
  /** `/api/media/<id>?u=…&exp=…&sig=…` */
  url: string;
  /** The same signature on the thumbnail path; null when the file has no thumbnail (yet). */
  thumbnailUrl: string | null;
  expiresAt: string;
}

/** Signed media links: issued to room members, accepted by GET /api/media/:id and /:id/thumbnail. */
@Injectable()
export class MediaLinkService {
  private readonly signer: MediaLinkSigner;

  constructor(
    config: AppConfig,
    private readonly media: MediaService,
  ) {
    if (!config.TOKEN_SECRET) throw new Error('TOKEN_SECRET must be resolved before MediaLinkService starts');
    this.signer = new MediaLinkSigner(config.TOKEN_SECRET);
  }

  /** Checks 'room.read' now; the link then stands for this user's read of this one file until it expires. */
  async issue(user: AuthUser, id: string): Promise<MediaLinkView> {
    const record = await this.media.readable(user, id);
    const { u, exp, sig, expiresAt } = this.signer.issue(record.id, user.id);
    const query = new URLSearchParams({ u, exp, sig }).toString();
    return {
      url: `/api/media/${record.id}?${query}`,
      thumbnailUrl: record.hasThumbnail ? `/api/media/${record.id}/thumbnail?${query}` : null,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /**
   * The reader of a GET: a signed link when the query carries `sig` (the Authorization header is then
   * not consulted), else the Bearer user that MediaReadGuard authenticated. Other query parameters
   * (a cache buster) are ignored, as they were before links existed.
   */
  reader(user: AuthUser | undefined, id: string, query: Record<string, unknown>): MediaReader {
    if (query.sig === undefined) {
      if (!user) throw new UnauthorizedError('missing bearer access token or signed link');
      return user;
    }
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const creds: MediaLinkCredentials = { u: text(query.u), exp: text(query.exp), sig: text(query.sig) };
    const check = this.signer.check(id, creds);
    if (check.ok) return check.link;
    if (check.reason === 'expired') throw new UnauthorizedError('media link expired; request a new one');
    throw new ForbiddenError('invalid media link signature');
  }
}
